import { describe, expect, it } from 'vitest';
import { WL_COPY, wtype, ydotool } from '../../../src-main/app/output/wayland.js';

// The commands wtype, ydotool and wl-copy are given (no Wayland compositor runs here).
const AWKWARD = '-n "quoted" $HOME `ls` ünïcödé 😀';

describe('Wayland commands', () => {
  it('wtype reads the text from standard input and presses BackSpace once per character', () => {
    expect(wtype(12).type(AWKWARD)).toEqual({ file: 'wtype', args: ['-d', '12', '-'], input: AWKWARD });
    expect(wtype(12).erase!(2).args).toEqual(['-k', 'BackSpace', '-k', 'BackSpace']);
  });

  it('ydotool types from standard input and erases nothing (its key syntax differs between releases)', () => {
    expect(ydotool(12).type(AWKWARD)).toEqual({
      file: 'ydotool',
      args: ['type', '--key-delay', '12', '--file', '/dev/stdin'],
      input: AWKWARD,
    });
    expect(ydotool(12).erase).toBeUndefined();
    expect(WL_COPY.copy('x')).toEqual({ file: 'wl-copy', args: [], input: 'x' });
  });

  it("explains the compositors' and the kernel's refusals", () => {
    expect(wtype(12).explain!('Compositor does not support the virtual keyboard protocol')).toMatch(
      /install ydotool instead \(sudo apt-get install ydotool\)/,
    );
    expect(ydotool(12).explain!('failed to open uinput device')).toMatch(
      /ydotool needs to open \/dev\/uinput/,
    );
    expect(wtype(12).explain!('something else')).toBe('something else');
  });
});
