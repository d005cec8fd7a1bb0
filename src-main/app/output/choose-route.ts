import type { OutputStatus } from '../../ipc/contract.js';
import type { OutputMode } from '../../store/types.js';
import { ACCESSIBILITY_FIX, macPermission, OSASCRIPT, PBCOPY } from './macos.js';
import type { Clipboard, Keyboard } from './output-command.js';
import { WL_COPY, wtype, ydotool } from './wayland.js';
import { POWERSHELL_CLIPBOARD, SEND_INPUT_KEYBOARD } from './windows.js';
import { XCLIP, xdotool, XSEL } from './x11.js';

/** What decides the route: the system, its session, the tools on PATH and (macOS) the permission. */
export interface OutputSystem {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Whether a program is installed (on PATH). */
  has(tool: string): boolean;
  /** macOS: whether Attune may send keystrokes; undefined where that cannot be asked (outside Electron). */
  trusted?: boolean;
  keyDelayMs: number;
}

/** How phrases leave Attune in a mode on a system, with the tools that do it. */
export interface OutputRoute extends Omit<OutputStatus, 'lastError'> {
  keyboard: Keyboard | null;
  clipboard: Clipboard | null;
}

/**
 * The most reliable way each system offers, and when it has none, one message naming the exact fix. Where
 * typing cannot work but a clipboard tool is there, phrases are copied instead (the message says to paste).
 */
export function chooseRoute(mode: OutputMode, sys: OutputSystem): OutputRoute {
  const none = { keyboard: null, clipboard: null, tool: null, permission: 'not-needed' as const };
  if (mode === 'window') return { ...none, mode, action: 'none', problem: null };
  if (sys.platform === 'win32') {
    return mode === 'type'
      ? {
          ...none,
          mode,
          action: 'type',
          keyboard: SEND_INPUT_KEYBOARD,
          tool: SEND_INPUT_KEYBOARD.tool,
          problem: null,
        }
      : {
          ...none,
          mode,
          action: 'copy',
          clipboard: POWERSHELL_CLIPBOARD,
          tool: POWERSHELL_CLIPBOARD.tool,
          problem: null,
        };
  }
  if (sys.platform === 'darwin') return macRoute(mode, sys);

  const env = sys.env;
  const wayland = Boolean(env.WAYLAND_DISPLAY) || env.XDG_SESSION_TYPE === 'wayland';
  if (!wayland && !env.DISPLAY) {
    return {
      ...none,
      mode,
      action: 'none',
      problem:
        "There is no desktop session to write into (neither WAYLAND_DISPLAY nor DISPLAY is set): phrases stay in Attune's window.",
    };
  }
  const clipboard = wayland ? [WL_COPY] : [XCLIP, XSEL];
  const copier = clipboard.find((c) => sys.has(c.tool)) ?? null;
  const copyPackage = wayland ? 'wl-clipboard' : 'xclip';
  if (mode === 'clipboard') {
    return copier
      ? { ...none, mode, action: 'copy', clipboard: copier, tool: copier.tool, problem: null }
      : {
          ...none,
          mode,
          action: 'none',
          problem: `Copying to the clipboard needs ${copyPackage}: install it with sudo apt-get install ${copyPackage}.`,
        };
  }
  // GNOME's compositor has no virtual-keyboard protocol: wtype cannot type there, ydotool can.
  const gnome = /gnome/i.test(env.XDG_CURRENT_DESKTOP ?? '');
  const keyboards = wayland
    ? gnome
      ? [ydotool(sys.keyDelayMs)]
      : [wtype(sys.keyDelayMs), ydotool(sys.keyDelayMs)]
    : [xdotool(sys.keyDelayMs)];
  const keyboard = keyboards.find((k) => sys.has(k.tool));
  if (keyboard) return { ...none, mode, action: 'type', keyboard, tool: keyboard.tool, problem: null };
  const need = keyboards[0].tool;
  const where = wayland ? ' on Wayland' : '';
  if (copier) {
    return {
      ...none,
      mode,
      action: 'copy',
      clipboard: copier,
      tool: copier.tool,
      problem: `Typing into other apps${where} needs ${need}: install it with sudo apt-get install ${need}. Until then the dictation's text is copied to the clipboard: paste it with Ctrl+V.`,
    };
  }
  return {
    ...none,
    mode,
    action: 'none',
    problem: `Typing into other apps${where} needs ${need}: install it with sudo apt-get install ${need}.`,
  };
}

/** macOS: System Events types once Accessibility allows it; Electron asks the system whether it does. */
function macRoute(mode: OutputMode, sys: OutputSystem): OutputRoute {
  const base = { mode, keyboard: null, clipboard: null, tool: null, problem: null };
  if (mode === 'clipboard') {
    return { ...base, action: 'copy', clipboard: PBCOPY, tool: PBCOPY.tool, permission: 'not-needed' };
  }
  const permission = macPermission(sys.trusted);
  if (permission === 'denied') {
    return {
      ...base,
      action: 'none',
      permission,
      problem: `macOS does not let Attune type yet: ${ACCESSIBILITY_FIX}.`,
    };
  }
  return { ...base, action: 'type', keyboard: OSASCRIPT, tool: OSASCRIPT.tool, permission };
}
