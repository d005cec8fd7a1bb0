// The data folder on a disk that fills up mid-dictation, and on one that is read-only: a small tmpfs mounted
// in a private mount namespace (`unshare --user --map-root-user --mount`: no privileges needed, and nothing
// outside sees it). Phrases are stored until the disk is full: then the clip, and then the phrase, are
// refused with an error that says so, and everything acknowledged before is still there, whole, after the
// store is reopened. A read-only folder is refused at open with its reason, and its contents are untouched.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = 'test/store/disk-full-child.ts';
const dir = mkdtempSync(join(tmpdir(), 'attune-disk-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a private mount namespace with `dir/data` a tmpfs of `size`. */
function inSmallDisk(size: string, script: string) {
  const data = join(dir, 'data');
  const sh = `mkdir -p '${data}' && mount -t tmpfs -o size=${size} tmpfs '${data}' && ${script} '${data}'`;
  return spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', sh], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

// A kernel or container that forbids user namespaces cannot make the small disk: said, not failed.
const probe = inSmallDisk('64k', 'test -d');
const why =
  probe.status === 0 ? '' : `cannot mount a small tmpfs here (${probe.stderr.trim() || probe.error})`;

describe('a full disk', () => {
  it.skipIf(why !== '')(
    `refuses the phrase that does not fit, and keeps every earlier one${why ? ` — skipped: ${why}` : ''}`,
    () => {
      const run = inSmallDisk('1m', `'${process.execPath}' --import tsx ${CHILD}`);
      expect(run.status, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
        acknowledged: { id: number; text: string; clip: boolean }[];
        failures: { code: string; name: string; message: string }[];
        ended: boolean;
        integrity: string;
        stored: { id: number; text: string; clip: boolean }[];
        clips: string[];
      };
      expect(r.acknowledged.filter((a) => a.clip).length).toBeGreaterThan(3);
      expect(r.failures.length).toBeGreaterThan(0);
      for (const f of r.failures) {
        expect(f.code, f.message).toBe('UNWRITABLE');
        // The clip: the system's words; the phrase itself: what to do about it.
        expect(f.message).toMatch(
          /no space left on device|is full: free some space to go on; everything stored before is kept/,
        );
      }
      expect(
        r.failures.some((f) => f.name === 'StoreError' && /is full: free some space/.test(f.message)),
      ).toBe(true);
      // Nothing acknowledged is lost: every phrase with its text, every clip that was written decodes.
      expect(r.integrity).toBe('ok');
      const stored = new Map(r.stored.map((s) => [s.id, s]));
      for (const a of r.acknowledged) {
        expect(stored.get(a.id)?.text, `segment ${a.id}`).toBe(a.text);
        expect(stored.get(a.id)?.clip, `clip of segment ${a.id}`).toBe(a.clip);
      }
      expect(r.clips.every((c) => c === 'ok')).toBe(true);
    },
    150_000,
  );

  it.skipIf(why !== '')(
    `a read-only data folder: refused with the reason, nothing lost${why ? ` — skipped: ${why}` : ''}`,
    () => {
      const run = inSmallDisk('4m', `'${process.execPath}' --import tsx test/store/read-only-child.ts`);
      expect(run.status, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
        error: { code: string; message: string } | null;
        texts: string[];
        clips: string[];
      };
      // Permissions do not bind root, so only a read-only mount shows this as CI (root) runs it.
      expect(r.error).toEqual({
        code: 'UNWRITABLE',
        message: expect.stringMatching(/data folder .* the file system is read-only/),
      });
      expect(r.texts).toEqual(['phrase 0', 'phrase 1', 'phrase 2']);
      expect(r.clips).toEqual(['ok', 'ok', 'ok']);
    },
    150_000,
  );
});
