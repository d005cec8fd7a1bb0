import { describe, expect, it } from 'vitest';
import { XCLIP, xdotool, XSEL } from '../../../src-main/app/output/x11.js';

// The commands xdotool, xclip and xsel are given. They also run for real under Xvfb (text-output.test.ts,
// dictate-into-app.test.ts).
const AWKWARD = '-n "quoted" $HOME `ls` ünïcödé 😀';

describe('X11 commands', () => {
  it('types from standard input (text never read as an option) and erases with BackSpace', () => {
    expect(xdotool(12).type(AWKWARD)).toEqual({
      file: 'xdotool',
      args: ['type', '--clearmodifiers', '--delay', '12', '--file', '-'],
      input: AWKWARD,
    });
    expect(xdotool(5).erase!(3).args).toEqual([
      'key',
      '--clearmodifiers',
      '--repeat',
      '3',
      '--repeat-delay',
      '5',
      'BackSpace',
    ]);
    expect(XCLIP.copy('x')).toEqual({ file: 'xclip', args: ['-selection', 'clipboard', '-in'], input: 'x' });
    expect(XSEL.copy('x')).toEqual({ file: 'xsel', args: ['--clipboard', '--input'], input: 'x' });
  });
});
