import { describe, expect, it } from 'vitest';
import { defaultCacheDir, defaultDataDir } from '../../src-main/app/paths.js';

describe('defaultDataDir', () => {
  it('follows each system’s convention', () => {
    expect(defaultDataDir({}, 'linux', '/home/ann')).toBe('/home/ann/.local/share/attune');
    expect(defaultDataDir({ XDG_DATA_HOME: '/data/ann' }, 'linux', '/home/ann')).toBe('/data/ann/attune');
    // A relative XDG_DATA_HOME is invalid by the XDG spec and ignored.
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel/dir' }, 'freebsd', '/home/ann')).toBe(
      '/home/ann/.local/share/attune',
    );
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' }, 'darwin', '/Users/ann')).toBe(
      '/Users/ann/Library/Application Support/Attune',
    );
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Attune',
    );
    expect(defaultDataDir({}, 'win32', 'C:\\Users\\ann')).toBe('C:\\Users\\ann\\AppData\\Roaming\\Attune');
  });
});

describe('defaultCacheDir', () => {
  it('follows each system’s convention', () => {
    expect(defaultCacheDir({}, 'linux', '/home/ann')).toBe('/home/ann/.cache/attune');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/tmp/c' }, 'linux', '/home/ann')).toBe('/tmp/c/attune');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux', '/home/ann')).toBe('/home/ann/.cache/attune');
    expect(defaultCacheDir({}, 'darwin', '/Users/ann')).toBe('/Users/ann/Library/Caches/Attune');
    expect(
      defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'win32', 'C:\\Users\\ann'),
    ).toBe('C:\\Users\\ann\\AppData\\Local\\Attune\\Cache');
    expect(defaultCacheDir({}, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Local\\Attune\\Cache',
    );
  });
});
