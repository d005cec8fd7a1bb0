import type { Clipboard, Keyboard } from './output-command.js';

/**
 * X11: xdotool types through the XTEST extension, the events a real keyboard makes, so every X11 app takes
 * them (xterm, for one, ignores the synthetic events `xdotool type --window` would send). The text comes on
 * standard input (`--file -`): a phrase that starts with "-" is never read as an option.
 */
export function xdotool(keyDelayMs: number): Keyboard {
  return {
    tool: 'xdotool',
    // --clearmodifiers: the start/stop hotkey's Ctrl or Shift may still be held when the first phrase comes.
    type: (text) => ({
      file: 'xdotool',
      args: ['type', '--clearmodifiers', '--delay', String(keyDelayMs), '--file', '-'],
      input: text,
    }),
    erase: (count) => ({
      file: 'xdotool',
      args: [
        'key',
        '--clearmodifiers',
        '--repeat',
        String(count),
        '--repeat-delay',
        String(keyDelayMs),
        'BackSpace',
      ],
    }),
  };
}

/** The clipboard (not the primary selection): what Ctrl+V pastes. xclip stays behind to serve it. */
export const XCLIP: Clipboard = {
  tool: 'xclip',
  copy: (text) => ({ file: 'xclip', args: ['-selection', 'clipboard', '-in'], input: text }),
};

/** The other common X11 clipboard tool, used when xclip is absent. */
export const XSEL: Clipboard = {
  tool: 'xsel',
  copy: (text) => ({ file: 'xsel', args: ['--clipboard', '--input'], input: text }),
};
