import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);

describe('electron-builder.yml', () => {
  const config = parse(readFileSync(new URL('electron-builder.yml', root), 'utf8')) as Record<
    string,
    unknown
  >;

  it('is valid against electron-builder’s own configuration schema', () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('builds for Linux, macOS and Windows and unpacks what cannot load from an archive', () => {
    expect(config.linux).toMatchObject({ target: ['AppImage', 'deb'] });
    expect(config.mac).toBeDefined();
    expect(config.win).toBeDefined();
    const unpack = (config.asarUnpack as string[]).join('\n');
    expect(unpack).toMatch(/tfjs-backend-wasm/);
    expect(unpack).toMatch(/\*\*\/\*\.node/);
  });

  it('packs the compiled main side, the built renderer, the base model and the icons', () => {
    const files = config.files as string[];
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { main: string };
    // Each path the packaged app loads is matched by a pattern (`dir/**`).
    for (const path of [
      pkg.main,
      'dist/src-main/app/preload.cjs',
      'dist/src-main/engine/engine-process.js',
      'dist/src-main/model/tfjs-gradients.js',
      'src-renderer/dist/index.html',
      'models/base/model.safetensors',
      'resources/tray.png',
      'resources/enrolment/prompts.txt',
      'package.json',
    ]) {
      expect(
        files.some((f) => (f.endsWith('/**') ? path.startsWith(f.slice(0, -2)) : path === f)),
        path,
      ).toBe(true);
    }
    expect(pkg.main).toBe('dist/src-main/app/main.js');
  });
});
