import { describe, expect, it } from 'vitest';
import {
  describeAccelerator,
  fromKeyEvent,
  hotkeyConflict,
  matches,
  parseAccelerator,
} from '../../src-renderer/src/lib/hotkey.js';

const key = (
  k: string,
  code: string,
  mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {},
) => ({ key: k, code, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe('accelerators', () => {
  it('parses Electron accelerators, and refuses unknown modifiers or a missing key', () => {
    expect(parseAccelerator('CommandOrControl+Shift+Space')).toEqual({
      primary: true,
      ctrl: false,
      meta: false,
      alt: false,
      shift: true,
      key: 'Space',
    });
    expect(parseAccelerator('Ctrl+Alt+d')?.key).toBe('D');
    expect(parseAccelerator('Ctrl++')?.key).toBe('Plus');
    expect(parseAccelerator('Hyper+K')).toBeNull();
    expect(parseAccelerator('Ctrl+')).toBeNull();
    expect(parseAccelerator('Ctrl+Escape')?.key).toBe('Esc'); // as key presses are named
  });

  it("describes a shortcut in the system's words", () => {
    expect(describeAccelerator('CommandOrControl+Shift+Space', false)).toBe('Ctrl+Shift+Space');
    expect(describeAccelerator('CommandOrControl+Shift+Space', true)).toBe('⇧⌘Space');
    expect(describeAccelerator('Super+Alt+F9', false)).toBe('Super+Alt+F9');
  });

  it('matches key presses with exactly the modifiers asked for, Ctrl or ⌘ by platform', () => {
    const acc = parseAccelerator('CommandOrControl+Shift+Space')!;
    expect(matches(acc, key(' ', 'Space', { ctrlKey: true, shiftKey: true }), false)).toBe(true);
    expect(matches(acc, key(' ', 'Space', { metaKey: true, shiftKey: true }), true)).toBe(true);
    expect(matches(acc, key(' ', 'Space', { metaKey: true, shiftKey: true }), false)).toBe(false);
    expect(matches(acc, key(' ', 'Space', { ctrlKey: true }), false)).toBe(false);
    expect(matches(acc, key(' ', 'Space', { ctrlKey: true, shiftKey: true, altKey: true }), false)).toBe(
      false,
    );
  });

  it('captures a new shortcut from a key press, by key position for letters and digits', () => {
    expect(fromKeyEvent(key('Control', 'ControlLeft', { ctrlKey: true }), false)).toBeNull();
    expect(fromKeyEvent(key('D', 'KeyD', { ctrlKey: true, altKey: true, shiftKey: true }), false)).toBe(
      'CommandOrControl+Alt+Shift+D',
    );
    expect(fromKeyEvent(key('ö', 'KeyD', { metaKey: true }), true)).toBe('CommandOrControl+D');
    expect(fromKeyEvent(key('!', 'Digit1', { ctrlKey: true, shiftKey: true }), false)).toBe(
      'CommandOrControl+Shift+1',
    );
    expect(fromKeyEvent(key('F9', 'F9'), false)).toBe('F9');
    expect(fromKeyEvent(key('ArrowUp', 'ArrowUp', { altKey: true }), false)).toBe('Alt+Up');
  });

  it('says when a shortcut is taken or would swallow typing', () => {
    expect(hotkeyConflict('CommandOrControl+Shift+Space')).toBeNull();
    expect(hotkeyConflict('F9')).toBeNull();
    expect(hotkeyConflict('CommandOrControl+C')).toBe('Already used by the system or other apps for Copy');
    // The main process's own reasons, so the app never accepts here what it refuses there.
    expect(hotkeyConflict('Shift+A')).toMatch(
      /is how a capital or symbol is typed; add Ctrl, Alt, Super or Cmd/,
    );
    expect(hotkeyConflict('D')).toMatch(/^"D" needs a modifier/);
    expect(hotkeyConflict('Hyper+K')).toMatch(/^"Hyper" in "Hyper\+K" is not a modifier/);
  });
});
