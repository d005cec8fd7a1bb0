import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerCorpus } from '../../../src-main/cli/commands/corpus.js';
import { readLibriSpeech } from '../../../src-main/training/librispeech.js';

// The `attune corpus` command (src-main/cli/commands/corpus.ts), driven as the CLI drives it.
const root = mkdtempSync(join(tmpdir(), 'attune-corpus-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function program(): Command {
  const p = new Command('attune').exitOverride();
  registerCorpus(p);
  return p;
}

describe('attune corpus', () => {
  it('makes a corpus and prints a one-line summary', async () => {
    const out = join(root, 'c');
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await program().parseAsync(
        [
          'corpus',
          '--out',
          out,
          '--hours',
          '0.004',
          '--seed',
          '3',
          '--jobs',
          '1',
          '--voices',
          'flite-slt,espeak-en-us+m3,flite-rms',
          '--held-out',
          'flite-rms',
        ],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
    }
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    const corpus = await readLibriSpeech(out);
    const summary = written.join('');
    expect(summary.trim().split('\n')).toHaveLength(1);
    expect(summary).toMatch(
      new RegExp(`^corpus ${out}: \\d+\\.\\d\\d h — train \\d+ .*; made ${corpus.utterances.length} in`),
    );
    expect(summary).toContain('0 failed');
  });

  it('rejects bad numbers before doing any work', async () => {
    const out = join(root, 'bad');
    await expect(
      program().parseAsync(['corpus', '--out', out, '--hours', 'lots'], { from: 'user' }),
    ).rejects.toThrow(/--hours must be a positive number/);
    await expect(
      program().parseAsync(['corpus', '--out', out, '--jobs', '0'], { from: 'user' }),
    ).rejects.toThrow(/--jobs/);
    expect(existsSync(out)).toBe(false);
  });
});
