import { describe, expect, it } from 'vitest';
import { POWERSHELL_CLIPBOARD, SEND_INPUT_KEYBOARD } from '../../../src-main/app/output/windows.js';

// The PowerShell commands for SendInput and the clipboard, decoded as PowerShell would (no Windows here).
const AWKWARD = '-n "quoted" $HOME `ls` ünïcödé 😀';

describe('Windows commands', () => {
  /** The PowerShell script an -EncodedCommand carries. */
  function scriptOf(args: string[]): string {
    expect(args.slice(0, 5)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
    ]);
    return Buffer.from(args[5], 'base64').toString('utf16le');
  }
  /** The texts the script decodes, from their Base64 literals. */
  function textsOf(script: string): string[] {
    return [...script.matchAll(/FromBase64String\('([^']*)'\)/g)].map((m) =>
      Buffer.from(m[1], 'base64').toString('utf8'),
    );
  }

  it('types any text with SendInput, carried in Base64 so nothing of it is parsed', () => {
    const cmd = SEND_INPUT_KEYBOARD.type(AWKWARD);
    expect(cmd.file).toBe('powershell.exe');
    const script = scriptOf(cmd.args);
    expect(script.startsWith("$ErrorActionPreference = 'Stop'\n")).toBe(true);
    expect(script).toContain('SendInput(uint count, INPUT[] inputs, int size)');
    expect(script).toContain("if (c == '\\n') Key(list, 0x0D, 0, 0);");
    expect(textsOf(script)).toEqual([AWKWARD]);
    expect(script).not.toContain('ünïcödé');
    expect(script.trimEnd().endsWith(', 0)')).toBe(true);
  });

  it('erases with VK_BACK, and copies with Set-Clipboard', () => {
    const erase = scriptOf(SEND_INPUT_KEYBOARD.erase!(3).args);
    expect(erase.trimEnd().endsWith("[AttuneKeys]::Send('', 3)")).toBe(true);
    const copy = scriptOf(POWERSHELL_CLIPBOARD.copy(AWKWARD).args);
    expect(copy).toMatch(/^\$ErrorActionPreference = 'Stop'\nSet-Clipboard -Value \[Text\.Encoding\]::UTF8/);
    expect(textsOf(copy)).toEqual([AWKWARD]);
  });
});
