// Atomic writes: the file holds the old content or the new, and a failed write leaves it and no temporary file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileSynced, writeJsonAtomic } from '../../src-main/process/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'attune-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('replace a file whole, from one piece or several, and leave nothing beside it', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old');
    writeJsonAtomic(path, { step: 3 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ step: 3 });
    writeFileAtomic(path, [Buffer.from('ab'), new Uint8Array([99])]);
    expect(readFileSync(path, 'utf8')).toBe('abc');
    writeFileSynced(join(dir, 'plain'), 'x');
    expect(readdirSync(dir).sort()).toEqual(['plain', 'state.json']);
  });

  it('throw and remove the temporary file when the new file cannot be put in place, leaving what was there', () => {
    // A folder with something in it where the file should go: the temporary file is written, the rename fails.
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'inside'), { recursive: true });
    expect(() => writeFileAtomic(path, 'new')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(path)).toEqual(['inside']);
  });
});
