/**
 * Global-hotkey strings in Electron's accelerator syntax ("CommandOrControl+Shift+Space"), checked
 * before they reach the operating system: Electron's globalShortcut only answers "false" for a bad
 * string, which would read as "taken by another app". Part of the contract: the main process refuses
 * a bad hotkey with these rules, and the renderer checks one as it is captured with the same rules.
 */

const MODIFIERS = new Map<string, string>(
  [
    ['command', 'Command'],
    ['cmd', 'Command'],
    ['control', 'Control'],
    ['ctrl', 'Control'],
    ['commandorcontrol', 'CommandOrControl'],
    ['cmdorctrl', 'CommandOrControl'],
    ['alt', 'Alt'],
    ['option', 'Alt'],
    ['altgr', 'AltGr'],
    ['shift', 'Shift'],
    ['super', 'Super'],
    ['meta', 'Super'],
  ].map(([k, v]) => [k, v]),
);

/** Named keys (lower case → canonical spelling). Letters, digits and F1–F24 are handled apart. */
const NAMED_KEYS = new Map<string, string>(
  [
    'Plus',
    'Space',
    'Tab',
    'Capslock',
    'Numlock',
    'Scrolllock',
    'Backspace',
    'Delete',
    'Insert',
    'Return',
    'Enter',
    'Up',
    'Down',
    'Left',
    'Right',
    'Home',
    'End',
    'PageUp',
    'PageDown',
    'Escape',
    'Esc',
    'VolumeUp',
    'VolumeDown',
    'VolumeMute',
    'MediaNextTrack',
    'MediaPreviousTrack',
    'MediaStop',
    'MediaPlayPause',
    'PrintScreen',
    'numdec',
    'numadd',
    'numsub',
    'nummult',
    'numdiv',
    ...Array.from({ length: 10 }, (_, i) => `num${i}`),
  ].map((k) => [k.toLowerCase(), k]),
);

/** Single punctuation characters Electron accepts as keys ('+' must be written "Plus"). */
const PUNCTUATION = new Set([...')!@#$%^&*(:;<,_->.?/~`{][|\\}"=\'']);

/** Keys that may stand alone: they do not type text, so taking them globally breaks no typing. */
const STANDALONE = /^(F([1-9]|1\d|2[0-4])|Media\w+|Volume\w+|PrintScreen)$/;

export interface Accelerator {
  modifiers: string[];
  key: string;
  /** Canonical spelling: modifiers in a fixed order, then the key. */
  text: string;
}

const ORDER = ['CommandOrControl', 'Command', 'Control', 'Super', 'Alt', 'AltGr', 'Shift'];

/** Parses an accelerator; throws an Error whose message says what is wrong with it. */
export function parseAccelerator(input: string): Accelerator {
  const text = input.trim();
  if (text === '') throw new Error('the hotkey is empty');
  const parts = text.split('+').map((p) => p.trim());
  if (parts.some((p) => p === '')) {
    throw new Error(`"${text}" has an empty part (write the plus key as "Plus")`);
  }
  const modifiers: string[] = [];
  for (const p of parts.slice(0, -1)) {
    const m = MODIFIERS.get(p.toLowerCase());
    if (!m) throw new Error(`"${p}" in "${text}" is not a modifier (use Ctrl, Alt, Shift, Super or Cmd)`);
    if (modifiers.includes(m)) throw new Error(`"${text}" names ${m} twice`);
    modifiers.push(m);
  }
  const last = parts[parts.length - 1];
  if (MODIFIERS.has(last.toLowerCase())) throw new Error(`"${text}" has modifiers but no key`);
  const key = canonicalKey(last);
  if (key === null) throw new Error(`"${last}" in "${text}" is not a key a hotkey can use`);
  if (modifiers.length === 0 && !STANDALONE.test(key)) {
    throw new Error(
      `"${text}" needs a modifier (Ctrl, Alt, Shift, Super or Cmd): alone, ${key} would stop typing it anywhere`,
    );
  }
  if (modifiers.length === 1 && modifiers[0] === 'Shift' && !STANDALONE.test(key)) {
    throw new Error(`"${text}" is how a capital or symbol is typed; add Ctrl, Alt, Super or Cmd`);
  }
  modifiers.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return { modifiers, key, text: [...modifiers, key].join('+') };
}

function canonicalKey(k: string): string | null {
  if (/^[a-z0-9]$/i.test(k)) return k.toUpperCase();
  if (/^f([1-9]|1\d|2[0-4])$/i.test(k)) return k.toUpperCase();
  if (k.length === 1 && PUNCTUATION.has(k)) return k;
  return NAMED_KEYS.get(k.toLowerCase()) ?? null;
}
