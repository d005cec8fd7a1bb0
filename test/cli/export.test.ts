// `attune export` end to end: a tiny run grown deeper from another (`--init … --blocks`), exported as a
// model folder whose card says how it was made and how well it does, with a replay set, and without
// the training machine's paths.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { attune, espeakChapter } from './cli-helpers.js';

const SENTENCES = ['good morning', 'open the door', 'see you later', 'thank you very much'];
let dir: string;
let corpus: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attune-export-cli-'));
  corpus = join(dir, 'corpus');
  await espeakChapter(corpus, 'train', '1', 'en-us', SENTENCES);
  await espeakChapter(corpus, 'train', '2', 'en-gb', SENTENCES);
  await espeakChapter(corpus, 'dev', '3', 'en-us+f3', SENTENCES.slice(0, 2));
  await espeakChapter(corpus, 'test-unseen', '4', 'en-us+m3', SENTENCES.slice(2, 3));
  await espeakChapter(corpus, 'test-unseen', '5', 'en-gb+f2', SENTENCES.slice(3));
  // What `attune corpus` writes about its voices; the card names speakers and held-out voices from it.
  writeFileSync(
    join(corpus, 'manifest.json'),
    JSON.stringify({
      splits: { train: { hours: 0.01, utterances: 8, speakers: 2 } },
      voices: [
        { speaker: 1, name: 'espeak-en-us', role: 'train' },
        { speaker: 2, name: 'espeak-en-gb', role: 'train' },
        { speaker: 4, name: 'espeak-en-us+m3', role: 'held-out' },
        { speaker: 5, name: 'espeak-en-gb+f2', role: 'held-out' },
      ],
    }),
  );
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('attune export', () => {
  it("writes a grown run's best model with its card, metrics and replay set", async () => {
    // Two training steps into `run`, with the run-specific options.
    const trainTiny = async (run: string, ...options: string[]) => {
      const r = await attune([
        ...['train', '--corpus', corpus, '--run', run, '--batch-seconds', '4', '--eval-every', '2'],
        ...['--steps', '2', '--backend', 'wasm', '--json', ...options],
      ]);
      expect(r.code, r.stderr).toBe(0);
    };
    const shallow = join(dir, 'shallow');
    await trainTiny(shallow, '--channels', '16', '--blocks', '2');
    const deeper = join(dir, 'deeper');
    const reshaped = await attune([
      'reshape',
      '--model',
      join(shallow, 'best'),
      '--out',
      deeper,
      '--blocks',
      '3',
    ]);
    expect(reshaped.code, reshaped.stderr).toBe(0);
    const deep = join(dir, 'deep');
    await trainTiny(deep, '--init', deeper);

    const out = join(dir, 'model');
    const exported = await attune([
      'export',
      '--run',
      deep,
      '--corpus',
      corpus,
      '--human',
      join(corpus, 'dev'),
      '--replay',
      join(corpus, 'train'),
      '--replay-mb',
      '1',
      '--out',
      out,
      '--command',
      'attune train --run shallow',
      'attune reshape --model shallow/best --out deeper --blocks 3',
      'attune train --run deep --init deeper',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout.trim().split('\n').at(-1)!) as {
      out: string;
      metrics: Record<string, { wer: number; cer: number; utterances: number }>;
      replay: { utterances: number } | null;
    };
    expect(summary.out).toBe(out);
    expect(Object.keys(summary.metrics).sort()).toEqual(['dev', 'human', 'test-unseen']);
    expect(summary.metrics['test-unseen'].utterances).toBe(2);
    for (const m of Object.values(summary.metrics)) expect(m.cer).toBeGreaterThanOrEqual(0);
    expect(summary.replay!.utterances).toBeGreaterThan(0);
    expect(existsSync(join(out, 'replay'))).toBe(true);

    const folder = loadModelFolder(out);
    expect(folder.acoustic.blocks).toBe(3);
    // The run's best weights, unchanged.
    const best = loadModelFolder(join(deep, 'best'));
    expect([...folder.weights.keys()]).toEqual([...best.weights.keys()]);
    for (const [name, w] of best.weights) expect(folder.weights.get(name), name).toEqual(w);
    expect(folder.info.metrics).toEqual(summary.metrics);
    expect(folder.info.training).toMatchObject({ reshapedFrom: { blocks: 2 }, steps: 2 });
    // The folder it grew from was on the training machine; the card's commands say where it came from.
    expect(folder.info.parent).toBeUndefined();
    expect(JSON.stringify(folder.info)).not.toContain(dir);

    const card = readFileSync(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('attune reshape --model shallow/best --out deeper --blocks 3');
    expect(card).toContain(
      'Grown from a trained 2-block model (its weights kept, 1 block appended; see the commands above), then trained for 2 steps',
    );
    expect(card).toContain('Held-out voices (the test-unseen set): espeak-en-us+m3, espeak-en-gb+f2.');
    expect(card).toContain('### test-unseen by voice');
    expect(card).toContain('| espeak-en-us+m3 (4) | 1 |');
    expect(card).toMatch(/\| human — real recordings .* \| 2 \|/);
    // Scored as the app decodes finals too: with the shipped language model.
    expect(card).toContain('| set | utterances | WER | CER | WER with the LM | CER with the LM |');
    for (const m of Object.values(folder.info.metrics as Record<string, { withLm?: { wer: number } }>))
      expect(m.withLm!.wer).toBeGreaterThanOrEqual(0);
  }, 240_000);
});
