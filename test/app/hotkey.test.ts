// The hotkey against an in-memory shortcut table with the operating system's rule: a shortcut held by
// one owner cannot be registered by another.
import { describe, expect, it } from 'vitest';
import { GlobalHotkey, type ShortcutRegistry } from '../../src-main/app/hotkey.js';

class Table implements ShortcutRegistry {
  readonly owners = new Map<string, string>();
  constructor(private readonly me: string) {}
  register(accelerator: string): boolean {
    if (this.owners.has(accelerator)) return false;
    this.owners.set(accelerator, this.me);
    return true;
  }
  unregister(accelerator: string): void {
    if (this.owners.get(accelerator) === this.me) this.owners.delete(accelerator);
  }
}

describe('GlobalHotkey', () => {
  it('takes a hotkey in its canonical spelling, and switches without a gap', () => {
    const table = new Table('attune');
    const hk = new GlobalHotkey(table, () => {});
    expect(hk.use('ctrl+shift+space')).toBeNull();
    expect(hk.accelerator).toBe('Control+Shift+Space');
    expect(hk.use('Control+Shift+Space')).toBeNull(); // the same one again: nothing changes
    expect(hk.use('Alt+D')).toBeNull();
    expect([...table.owners.keys()]).toEqual(['Alt+D']);
  });

  it('keeps the old hotkey when the new one is taken by another application, and says so', () => {
    const table = new Table('attune');
    table.owners.set('Control+Alt+T', 'terminal');
    const hk = new GlobalHotkey(table, () => {});
    expect(hk.use('Super+D')).toBeNull();
    expect(hk.use('Ctrl+Alt+T')).toBe(
      'the hotkey Control+Alt+T is taken by another application or the system; choose another',
    );
    expect(hk.accelerator).toBe('Super+D');
    expect(table.owners.get('Super+D')).toBe('attune');
    expect(table.owners.get('Control+Alt+T')).toBe('terminal');
  });

  it('refuses a malformed hotkey without touching the table', () => {
    const table = new Table('attune');
    const hk = new GlobalHotkey(table, () => {});
    hk.use('Super+D');
    expect(hk.use('Ctrl+')).toMatch(/^the hotkey cannot be used: .*empty part/);
    expect(hk.use('Q')).toMatch(/needs a modifier/);
    expect([...table.owners.keys()]).toEqual(['Super+D']);
  });

  it('releases its hotkey', () => {
    const table = new Table('attune');
    const hk = new GlobalHotkey(table, () => {});
    hk.use('Super+D');
    hk.release();
    expect(table.owners.size).toBe(0);
    expect(hk.accelerator).toBeNull();
  });
});
