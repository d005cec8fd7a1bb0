import type { Clipboard, Keyboard } from './output-command.js';

/**
 * Wayland gives no app the keyboard of another, so typing goes through a tool the compositor lets in:
 * wtype speaks the virtual-keyboard protocol (sway, Hyprland, KDE Plasma; not GNOME), ydotool writes to
 * the kernel's /dev/uinput (any desktop, when the user may open it).
 */
export function wtype(keyDelayMs: number): Keyboard {
  return {
    tool: 'wtype',
    // "-": the text comes on standard input.
    type: (text) => ({ file: 'wtype', args: ['-d', String(keyDelayMs), '-'], input: text }),
    erase: (count) => ({
      file: 'wtype',
      args: Array.from({ length: count }, () => ['-k', 'BackSpace']).flat(),
    }),
    explain: (message) =>
      /virtual.keyboard/i.test(message)
        ? `${message}. This desktop does not let wtype type (GNOME has no virtual-keyboard protocol): install ydotool instead (sudo apt-get install ydotool), or choose "Copy to the clipboard"`
        : message,
  };
}

/**
 * ydotool: `type` takes the same options in its 0.1 (Debian 12) and 1.x releases, but its `key` command
 * does not (key names there, key codes here), so it erases nothing: "scratch that" then stays in Attune.
 */
export function ydotool(keyDelayMs: number): Keyboard {
  return {
    tool: 'ydotool',
    type: (text) => ({
      file: 'ydotool',
      args: ['type', '--key-delay', String(keyDelayMs), '--file', '/dev/stdin'],
      input: text,
    }),
    explain: (message) =>
      /uinput|ydotoold|socket/i.test(message)
        ? `${message}. ydotool needs to open /dev/uinput: start its service (ydotoold), or add your user to the group that owns /dev/uinput`
        : message,
  };
}

/** wl-clipboard's wl-copy; it stays behind to serve the clipboard. */
export const WL_COPY: Clipboard = {
  tool: 'wl-copy',
  copy: (text) => ({ file: 'wl-copy', args: [], input: text }),
};
