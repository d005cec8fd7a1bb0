import { describe, expect, it } from 'vitest';
import { explainMacFailure, macPermission, OSASCRIPT, PBCOPY } from '../../../src-main/app/output/macos.js';

// The commands osascript and pbcopy are given, and how refusals read (no Mac here).
const AWKWARD = '-n "quoted" $HOME `ls` ünïcödé 😀';

describe('macOS commands and permission states', () => {
  it('gives each line as an argument behind a guard letter, pressing Return between lines', () => {
    const cmd = OSASCRIPT.type('-first line\nsecond "line"\n');
    expect(cmd.file).toBe('osascript');
    const script = cmd.args.filter((_, i) => cmd.args[i - 1] === '-e');
    expect(script).toContain('if i > 1 then key code 36');
    expect(script).toContain('if length of s > 1 then keystroke (text 2 thru -1 of s)');
    // Every script line comes with -e; the text follows as arguments, never inside the script.
    expect(cmd.args.slice(2 * script.length)).toEqual(['x-first line', 'xsecond "line"', 'x']);
    expect(script.join('\n')).not.toContain('first');
  });

  it('erases with key code 51, a whole number of times', () => {
    const cmd = OSASCRIPT.erase!(4.7);
    expect(cmd.args.filter((a) => a !== '-e')).toEqual([
      'tell application "System Events"',
      'repeat 4 times',
      'key code 51',
      'end repeat',
      'end tell',
    ]);
  });

  it('names the permission a refusal is about', () => {
    expect(
      explainMacFailure(
        'execution error: System Events got an error: osascript is not allowed to send keystrokes. (1002)',
      ),
    ).toBe(
      'macOS does not let Attune type yet: allow Attune in System Settings → Privacy & Security → Accessibility, then start a new dictation',
    );
    expect(explainMacFailure('Not authorized to send Apple events to System Events. (-1743)')).toMatch(
      /Privacy & Security → Automation/,
    );
    expect(explainMacFailure('osascript failed (exit status 1)')).toBe('osascript failed (exit status 1)');
    expect([true, false, undefined].map(macPermission)).toEqual(['granted', 'denied', 'unknown']);
  });

  it('copies as UTF-8 whatever the locale', () => {
    expect(PBCOPY.copy(AWKWARD)).toEqual({
      file: 'pbcopy',
      args: [],
      input: AWKWARD,
      env: { LANG: 'en_US.UTF-8' },
    });
  });
});
