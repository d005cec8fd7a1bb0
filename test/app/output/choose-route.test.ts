import { describe, expect, it } from 'vitest';
import { chooseRoute, type OutputSystem } from '../../../src-main/app/output/choose-route.js';

/** A system with these tools installed. */
function system(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  tools: string[],
  trusted?: boolean,
): OutputSystem {
  return { platform, env, has: (tool) => tools.includes(tool), trusted, keyDelayMs: 12 };
}

const X11 = { DISPLAY: ':0' };
const SWAY = { WAYLAND_DISPLAY: 'wayland-1', XDG_CURRENT_DESKTOP: 'sway', DISPLAY: ':0' };
const GNOME = { WAYLAND_DISPLAY: 'wayland-0', XDG_CURRENT_DESKTOP: 'ubuntu:GNOME', DISPLAY: ':0' };

/** The parts of a route Settings shows. */
function shown(r: ReturnType<typeof chooseRoute>) {
  return { action: r.action, tool: r.tool, problem: r.problem, permission: r.permission };
}

describe('the route phrases take out of Attune', () => {
  it('Linux X11: xdotool types; xclip, else xsel, copies', () => {
    const all = system('linux', X11, ['xdotool', 'xclip', 'xsel']);
    expect(shown(chooseRoute('type', all))).toEqual({
      action: 'type',
      tool: 'xdotool',
      problem: null,
      permission: 'not-needed',
    });
    expect(shown(chooseRoute('clipboard', all))).toMatchObject({
      action: 'copy',
      tool: 'xclip',
      problem: null,
    });
    expect(chooseRoute('clipboard', system('linux', X11, ['xsel'])).tool).toBe('xsel');
  });

  it('Linux X11 without the tools: one message naming the package', () => {
    expect(shown(chooseRoute('type', system('linux', X11, [])))).toEqual({
      action: 'none',
      tool: null,
      problem: 'Typing into other apps needs xdotool: install it with sudo apt-get install xdotool.',
      permission: 'not-needed',
    });
    expect(chooseRoute('clipboard', system('linux', X11, ['xdotool'])).problem).toBe(
      'Copying to the clipboard needs xclip: install it with sudo apt-get install xclip.',
    );
  });

  it('Wayland: wtype types, then ydotool; never xdotool, which reaches X11 windows only', () => {
    expect(chooseRoute('type', system('linux', SWAY, ['wtype', 'ydotool', 'xdotool'])).tool).toBe('wtype');
    expect(chooseRoute('type', system('linux', SWAY, ['ydotool', 'xdotool'])).tool).toBe('ydotool');
    // A Wayland session is told by XDG_SESSION_TYPE too.
    expect(chooseRoute('type', system('linux', { XDG_SESSION_TYPE: 'wayland' }, ['wtype'])).tool).toBe(
      'wtype',
    );
    expect(chooseRoute('clipboard', system('linux', SWAY, ['wl-copy', 'xclip'])).tool).toBe('wl-copy');
  });

  it('GNOME on Wayland: ydotool only (its compositor refuses wtype)', () => {
    expect(chooseRoute('type', system('linux', GNOME, ['wtype', 'ydotool'])).tool).toBe('ydotool');
    expect(chooseRoute('type', system('linux', GNOME, ['wtype'])).problem).toBe(
      'Typing into other apps on Wayland needs ydotool: install it with sudo apt-get install ydotool.',
    );
  });

  it('Wayland without a typing tool: copies for pasting, and says so with the fix', () => {
    expect(shown(chooseRoute('type', system('linux', SWAY, ['wl-copy'])))).toEqual({
      action: 'copy',
      tool: 'wl-copy',
      problem:
        "Typing into other apps on Wayland needs wtype: install it with sudo apt-get install wtype. Until then the dictation's text is copied to the clipboard: paste it with Ctrl+V.",
      permission: 'not-needed',
    });
    expect(chooseRoute('clipboard', system('linux', SWAY, [])).problem).toBe(
      'Copying to the clipboard needs wl-clipboard: install it with sudo apt-get install wl-clipboard.',
    );
  });

  it('no desktop session at all: phrases stay in the window, and it says why', () => {
    const r = chooseRoute('type', system('linux', {}, ['xdotool', 'wtype']));
    expect(r.action).toBe('none');
    expect(r.problem).toMatch(/no desktop session .*neither WAYLAND_DISPLAY nor DISPLAY is set/);
  });

  it('macOS: System Events types once Accessibility allows it; pbcopy copies', () => {
    expect(shown(chooseRoute('type', system('darwin', {}, [], true)))).toEqual({
      action: 'type',
      tool: 'osascript',
      problem: null,
      permission: 'granted',
    });
    expect(shown(chooseRoute('type', system('darwin', {}, [], false)))).toEqual({
      action: 'none',
      tool: null,
      problem:
        'macOS does not let Attune type yet: allow Attune in System Settings → Privacy & Security → Accessibility, then start a new dictation.',
      permission: 'denied',
    });
    // Outside Electron the permission cannot be asked: osascript tries, and its refusal is explained.
    expect(shown(chooseRoute('type', system('darwin', {}, [])))).toMatchObject({
      action: 'type',
      permission: 'unknown',
    });
    expect(shown(chooseRoute('clipboard', system('darwin', {}, [], false)))).toEqual({
      action: 'copy',
      tool: 'pbcopy',
      problem: null,
      permission: 'not-needed',
    });
  });

  it('Windows: SendInput types and Set-Clipboard copies, both through PowerShell', () => {
    expect(shown(chooseRoute('type', system('win32', {}, [])))).toEqual({
      action: 'type',
      tool: 'SendInput (PowerShell)',
      problem: null,
      permission: 'not-needed',
    });
    expect(chooseRoute('clipboard', system('win32', {}, [])).tool).toBe('Set-Clipboard (PowerShell)');
  });

  it('"Attune window only" uses nothing, anywhere', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(shown(chooseRoute('window', system(platform, X11, ['xdotool', 'xclip'], true)))).toEqual({
        action: 'none',
        tool: null,
        problem: null,
        permission: 'not-needed',
      });
    }
  });
});
