/**
 * Global shortcuts in Electron's accelerator syntax ("CommandOrControl+Shift+Space"): shown to the user in
 * the platform's words, matched against key presses inside the page, and captured from a key press. Which
 * strings are valid is the contract's rule (src-main/ipc/accelerator.ts), the same the main process applies.
 */
import {
  type Accelerator as Parsed,
  parseAccelerator as parseContract,
} from '../../../src-main/ipc/accelerator.js';

export interface Accelerator {
  /** Ctrl on Linux and Windows, ⌘ on macOS ("CommandOrControl"). */
  primary: boolean;
  ctrl: boolean;
  meta: boolean;
  alt: boolean;
  shift: boolean;
  /** The key in accelerator words: "Space", "A", "F5", "Up". */
  key: string;
}

/** Key-press names in accelerator words; also how the syntax's second names (Escape, Enter) are matched. */
const KEY_NAMES: Readonly<Record<string, string>> = {
  ' ': 'Space',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  Escape: 'Esc',
  Enter: 'Return',
  '+': 'Plus',
};

/** Checks an accelerator by the main process's rules; the canonical spelling, or why it is refused. */
function check(text: string): { ok: true; parsed: Parsed } | { ok: false; why: string } {
  // "Ctrl++" is a common way to write "Ctrl+Plus".
  const spelled = text.trim().endsWith('++') ? `${text.trim().slice(0, -1)}Plus` : text;
  try {
    return { ok: true, parsed: parseContract(spelled) };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** Parses an accelerator the main process would accept; null otherwise. */
export function parseAccelerator(text: string): Accelerator | null {
  const r = check(text);
  if (!r.ok) return null;
  const mods = new Set(r.parsed.modifiers);
  return {
    primary: mods.has('CommandOrControl'),
    ctrl: mods.has('Control'),
    meta: mods.has('Command') || mods.has('Super'),
    alt: mods.has('Alt') || mods.has('AltGr'),
    shift: mods.has('Shift'),
    key: KEY_NAMES[r.parsed.key] ?? r.parsed.key,
  };
}

/** The accelerator's key name for a KeyboardEvent, or null for a modifier alone. */
export function keyName(ev: Pick<KeyboardEvent, 'key' | 'code'>): string | null {
  if (['Control', 'Shift', 'Alt', 'Meta', 'AltGraph', 'OS'].includes(ev.key)) return null;
  if (ev.code.startsWith('Key')) return ev.code.slice(3); // the letter whatever the layout's shift state
  if (ev.code.startsWith('Digit')) return ev.code.slice(5);
  if (KEY_NAMES[ev.key]) return KEY_NAMES[ev.key];
  return ev.key.length === 1 ? ev.key.toUpperCase() : ev.key;
}

/** Whether a key press inside the page is this accelerator. */
export function matches(
  acc: Accelerator,
  ev: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean,
): boolean {
  const ctrl = acc.ctrl || (acc.primary && !mac);
  const meta = acc.meta || (acc.primary && mac);
  return (
    keyName(ev) === acc.key &&
    ev.ctrlKey === ctrl &&
    ev.metaKey === meta &&
    ev.altKey === acc.alt &&
    ev.shiftKey === acc.shift
  );
}

/** The accelerator a key press makes, for capturing a new shortcut; null until a key other than a modifier. */
export function fromKeyEvent(
  ev: Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean,
): string | null {
  const key = keyName(ev);
  if (key === null) return null;
  const mods: string[] = [];
  // The platform's main modifier is saved as CommandOrControl, so the shortcut moves between systems.
  if (mac ? ev.metaKey : ev.ctrlKey) mods.push('CommandOrControl');
  if (mac ? ev.ctrlKey : ev.metaKey) mods.push(mac ? 'Control' : 'Super');
  if (ev.altKey) mods.push('Alt');
  if (ev.shiftKey) mods.push('Shift');
  return [...mods, key].join('+');
}

/** The shortcut as the user's system writes it: "Ctrl+Shift+Space", or "⌘⇧Space" on macOS. */
export function describeAccelerator(text: string, mac: boolean): string {
  const acc = parseAccelerator(text);
  if (!acc) return text;
  const names = mac
    ? [acc.ctrl && '⌃', acc.alt && '⌥', acc.shift && '⇧', (acc.primary || acc.meta) && '⌘']
    : [(acc.primary || acc.ctrl) && 'Ctrl', acc.meta && 'Super', acc.alt && 'Alt', acc.shift && 'Shift'];
  const mods = names.filter((n): n is string => typeof n === 'string');
  return mac ? mods.join('') + acc.key : [...mods, acc.key].join('+');
}

/** Whether this page runs on macOS (for ⌘ rather than Ctrl). */
export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
}

/**
 * Shortcuts the system or every app already uses: a global shortcut on one of them would take it away from
 * everything else. Keyed by accelerator with CommandOrControl spelled out.
 */
const TAKEN: Readonly<Record<string, string>> = {
  'CommandOrControl+C': 'Copy',
  'CommandOrControl+X': 'Cut',
  'CommandOrControl+V': 'Paste',
  'CommandOrControl+Z': 'Undo',
  'CommandOrControl+Shift+Z': 'Redo',
  'CommandOrControl+Y': 'Redo',
  'CommandOrControl+A': 'Select all',
  'CommandOrControl+S': 'Save',
  'CommandOrControl+F': 'Find',
  'CommandOrControl+P': 'Print',
  'CommandOrControl+N': 'New window',
  'CommandOrControl+T': 'New tab',
  'CommandOrControl+W': 'Close tab',
  'CommandOrControl+Q': 'Quit',
  'CommandOrControl+Space': 'Input method or search',
  'Alt+Tab': 'Switch windows',
  'Alt+F4': 'Close window',
  'CommandOrControl+Alt+Delete': 'System menu',
  'Super+L': 'Lock screen',
};

/** Why a shortcut would be a poor choice, or null when it looks free. */
export function hotkeyConflict(text: string): string | null {
  const r = check(text);
  if (!r.ok) return r.why.charAt(0).toUpperCase() + r.why.slice(1);
  const taken = TAKEN[r.parsed.text];
  return taken ? `Already used by the system or other apps for ${taken}` : null;
}
