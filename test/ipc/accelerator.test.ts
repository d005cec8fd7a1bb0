import { describe, expect, it } from 'vitest';
import { parseAccelerator } from '../../src-main/ipc/accelerator.js';

describe('parseAccelerator', () => {
  it.each([
    ['CommandOrControl+Shift+Space', 'CommandOrControl+Shift+Space'],
    ['shift+ctrl+d', 'Control+Shift+D'],
    ['Cmd+Alt+7', 'Command+Alt+7'],
    ['CmdOrCtrl+Plus', 'CommandOrControl+Plus'],
    ['Super+f12', 'Super+F12'],
    ['Meta+pageup', 'Super+PageUp'],
    ['Alt+/', 'Alt+/'],
    ['F9', 'F9'],
    ['MediaPlayPause', 'MediaPlayPause'],
    ['Shift+F5', 'Shift+F5'],
    ['  Ctrl + Space  ', 'Control+Space'],
  ])('reads %j as %s', (input, canonical) => {
    expect(parseAccelerator(input).text).toBe(canonical);
  });

  it('splits modifiers from the key', () => {
    expect(parseAccelerator('Alt+Ctrl+X')).toEqual({
      modifiers: ['Control', 'Alt'],
      key: 'X',
      text: 'Control+Alt+X',
    });
  });

  it.each([
    ['', /the hotkey is empty/],
    ['Ctrl++', /has an empty part \(write the plus key as "Plus"\)/],
    ['Hyper+A', /"Hyper" in "Hyper\+A" is not a modifier/],
    ['Ctrl+Ctrl+A', /names Control twice/],
    ['Ctrl+Shift', /has modifiers but no key/],
    ['Ctrl+Banana', /"Banana" in "Ctrl\+Banana" is not a key/],
    ['A', /needs a modifier .* alone, A would stop typing it anywhere/],
    ['Space', /needs a modifier/],
    ['Shift+A', /is how a capital or symbol is typed/],
    ['Ctrl+F25', /"F25" .* is not a key/],
  ])('refuses %j and says why', (input, message) => {
    expect(() => parseAccelerator(input)).toThrow(message);
  });
});
