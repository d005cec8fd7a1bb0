import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot } from '../src-main/app-root.js';

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const dir = mkdtempSync(join(tmpdir(), 'attune-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('appRoot', () => {
  it('finds the package from source and from the compiled tree alike', () => {
    expect(appRoot()).toBe(repo);
    expect(appRoot(join(repo, 'dist', 'src-main', 'model', 'paths.js'))).toBe(repo);
    expect(appRoot(new URL('../src-main/cli/commands/serve.ts', import.meta.url).href)).toBe(repo);
  });

  it('skips another package’s package.json on the way up', () => {
    const nested = join(dir, 'app', 'node_modules', 'other');
    mkdirSync(join(nested, 'lib'), { recursive: true });
    writeFileSync(join(nested, 'package.json'), '{"name": "other"}');
    writeFileSync(join(dir, 'app', 'package.json'), '{"name": "attune"}');
    expect(appRoot(join(nested, 'lib', 'x.js'))).toBe(join(dir, 'app'));
  });

  it('says the installation is incomplete when there is no Attune package above', () => {
    const lone = join(dir, 'lone', 'x.js');
    expect(() => appRoot(lone)).toThrow(
      `no Attune package.json above ${lone}: the installation is incomplete`,
    );
  });
});
