import type { Clipboard, Keyboard } from './output-command.js';

/**
 * macOS: System Events types (through osascript, which every Mac has) once the user has allowed Attune to
 * control the computer: Accessibility, plus Automation of System Events. Each text line is one argument,
 * with a leading "x" the script drops, so that no line is ever taken for an osascript option; line
 * breaks are pressed as Return.
 */
const TYPE_SCRIPT = [
  'on run argv',
  'tell application "System Events"',
  'repeat with i from 1 to count of argv',
  'if i > 1 then key code 36',
  'set s to item i of argv',
  'if length of s > 1 then keystroke (text 2 thru -1 of s)',
  'end repeat',
  'end tell',
  'end run',
];

const script = (lines: readonly string[]) => lines.flatMap((l) => ['-e', l]);

export const OSASCRIPT: Keyboard = {
  tool: 'osascript',
  type: (text) => ({
    file: 'osascript',
    args: [...script(TYPE_SCRIPT), ...text.split('\n').map((line) => `x${line}`)],
  }),
  // Key code 51 is Delete (Backspace) on every Mac keyboard layout.
  erase: (count) => ({
    file: 'osascript',
    args: script([
      'tell application "System Events"',
      `repeat ${Math.max(0, Math.floor(count))} times`,
      'key code 51',
      'end repeat',
      'end tell',
    ]),
  }),
  explain: explainMacFailure,
};

/** Where the user allows Attune to type: named once, used by Settings and by failures alike. */
export const ACCESSIBILITY_FIX =
  'allow Attune in System Settings → Privacy & Security → Accessibility, then start a new dictation';
const AUTOMATION_FIX =
  'allow Attune to control "System Events" in System Settings → Privacy & Security → Automation, then start a new dictation';

/** osascript's refusals, in the words that say which permission is missing. */
export function explainMacFailure(message: string): string {
  if (/not allowed to send keystrokes|assistive access|\((1002|-1719|-25211)\)/i.test(message)) {
    return `macOS does not let Attune type yet: ${ACCESSIBILITY_FIX}`;
  }
  if (/not authorized to send apple events|\(-1743\)/i.test(message)) {
    return `macOS does not let Attune type yet: ${AUTOMATION_FIX}`;
  }
  return message;
}

/** Whether Attune may send keys, as the app knows it (Electron asks the system; a plain process cannot). */
export type MacPermission = 'granted' | 'denied' | 'unknown';

export function macPermission(trusted: boolean | undefined): MacPermission {
  if (trusted === undefined) return 'unknown';
  return trusted ? 'granted' : 'denied';
}

/** pbcopy reads its input in the locale's encoding: UTF-8 is said explicitly. */
export const PBCOPY: Clipboard = {
  tool: 'pbcopy',
  copy: (text) => ({ file: 'pbcopy', args: [], input: text, env: { LANG: 'en_US.UTF-8' } }),
};
