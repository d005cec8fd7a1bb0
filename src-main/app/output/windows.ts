import type { Clipboard, Keyboard, OutputCommand } from './output-command.js';

/**
 * Windows: SendInput with Unicode key events (KEYEVENTF_UNICODE), which type any character whatever the
 * keyboard layout, through a PowerShell script (PowerShell ships with Windows). The script and the text go
 * in -EncodedCommand (Base64 of UTF-16LE), the text itself once more in Base64 of UTF-8: nothing of it is
 * ever parsed by a shell or PowerShell. Line breaks are pressed as Return, Backspace as VK_BACK.
 *
 * Windows refuses keys to a window of an app running as administrator (UIPI) without saying so in the
 * result; SendInput then injects fewer events than asked, and the script reports it.
 */
const SEND_INPUT = `
Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
public static class AttuneKeys {
  [StructLayout(LayoutKind.Sequential)] struct MOUSEINPUT { public int dx; public int dy; public uint mouseData; public uint dwFlags; public uint time; public IntPtr dwExtraInfo; }
  [StructLayout(LayoutKind.Sequential)] struct KEYBDINPUT { public ushort wVk; public ushort wScan; public uint dwFlags; public uint time; public IntPtr dwExtraInfo; }
  [StructLayout(LayoutKind.Explicit)] struct UNION { [FieldOffset(0)] public MOUSEINPUT mi; [FieldOffset(0)] public KEYBDINPUT ki; }
  [StructLayout(LayoutKind.Sequential)] struct INPUT { public uint type; public UNION u; }
  [DllImport("user32.dll", SetLastError = true)] static extern uint SendInput(uint count, INPUT[] inputs, int size);
  const uint KEYUP = 2, UNICODE = 4;
  static void Key(List<INPUT> list, ushort vk, ushort scan, uint flags) {
    foreach (uint up in new uint[] { 0, KEYUP }) {
      INPUT i = new INPUT(); i.type = 1; i.u.ki.wVk = vk; i.u.ki.wScan = scan; i.u.ki.dwFlags = flags | up; list.Add(i);
    }
  }
  public static void Send(string text, int backspaces) {
    List<INPUT> list = new List<INPUT>();
    for (int b = 0; b < backspaces; b++) Key(list, 0x08, 0, 0);
    foreach (char c in text) {
      if (c == '\\n') Key(list, 0x0D, 0, 0);
      else if (c != '\\r') Key(list, 0, c, UNICODE);
    }
    if (list.Count == 0) return;
    uint sent = SendInput((uint)list.Count, list.ToArray(), Marshal.SizeOf(typeof(INPUT)));
    if (sent != list.Count) throw new Exception("Windows took " + sent + " of " + list.Count + " key events: the focused window may belong to an app running as administrator, which other apps cannot type into");
  }
}
'@
`;

/** PowerShell, told to run `script` and nothing of the user's profile. */
export function powershell(script: string): OutputCommand {
  return {
    file: 'powershell.exe',
    args: [
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-EncodedCommand',
      Buffer.from(`$ErrorActionPreference = 'Stop'\n${script}`, 'utf16le').toString('base64'),
    ],
  };
}

/** A PowerShell expression that is `text`, from Base64 of its UTF-8. */
function textLiteral(text: string): string {
  return `[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${Buffer.from(text, 'utf8').toString('base64')}'))`;
}

export const SEND_INPUT_KEYBOARD: Keyboard = {
  tool: 'SendInput (PowerShell)',
  type: (text) => powershell(`${SEND_INPUT}[AttuneKeys]::Send(${textLiteral(text)}, 0)`),
  erase: (count) => powershell(`${SEND_INPUT}[AttuneKeys]::Send('', ${Math.max(0, Math.floor(count))})`),
};

export const POWERSHELL_CLIPBOARD: Clipboard = {
  tool: 'Set-Clipboard (PowerShell)',
  copy: (text) => powershell(`Set-Clipboard -Value ${textLiteral(text)}`),
};
