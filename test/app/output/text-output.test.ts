import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextOutput } from '../../../src-main/app/output/text-output.js';
import type { OutputStatus } from '../../../src-main/ipc/contract.js';
import type { OutputMode } from '../../../src-main/store/types.js';
import { clipboard, openTextWindow, startXvfb, type X11Session, x11ToolsMissing } from './x11-session.js';

// The X11 route for real: xdotool typing into an xterm on Xvfb, xclip holding the clipboard.
const missing = x11ToolsMissing();

describe.skipIf(missing !== null)(`TextOutput on X11${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let x: X11Session;
  let dir: string;

  beforeAll(async () => {
    x = await startXvfb();
    dir = mkdtempSync(join(tmpdir(), 'attune-output-'));
  });
  afterAll(async () => {
    await x?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function output(mode: OutputMode, env = x.env) {
    const out = new TextOutput(() => mode, { platform: 'linux', env });
    const statuses: OutputStatus[] = [];
    out.on('status', (s) => statuses.push(s));
    out.begin();
    return { out, statuses };
  }

  it('types only what is new in each phrase, and erases what "scratch that" took back', async () => {
    const file = join(dir, 'typed.txt');
    const win = await openTextWindow(x, file, { title: 'attune-typed', canonical: true });
    const { out } = output('type');
    expect(out.status()).toEqual({
      mode: 'type',
      action: 'type',
      tool: 'xdotool',
      problem: null,
      lastError: null,
      permission: 'not-needed',
    });
    // The session's text after each phrase, as the dictation service passes it.
    out.write('Hello there, I went home');
    out.write('Hello there, sorry'); // "i went home scratch that sorry"
    out.write('Hello there, sorry.\n'); // "period new line": the terminal hands the line over
    await out.idle();
    await expect.poll(() => readFileSync(file, 'utf8')).toBe('Hello there, sorry.\n');
    expect(out.status().lastError).toBeNull();
    await win.close();
  });

  it("types nothing while Attune's own window has the focus, and then only what comes after", async () => {
    const file = join(dir, 'focus.txt');
    const win = await openTextWindow(x, file, { title: 'attune-focus', canonical: false });
    const { out } = output('type');
    out.setAttuneFocused(true);
    out.write('Seen in Attune');
    await out.idle();
    out.setAttuneFocused(false);
    out.write('Seen in Attune. Typed');
    // "Scratch that" now would erase what the window never got: nothing is erased.
    out.write('Seen in Attune.');
    await out.idle();
    await expect.poll(() => readFileSync(file, 'utf8')).toBe('. Typed');
    await win.close();
  });

  it('copies the whole text to the clipboard, not typing anything', async () => {
    const { out } = output('clipboard');
    expect(out.status()).toMatchObject({ action: 'copy', tool: 'xclip', problem: null });
    out.write('First phrase.');
    out.write('First phrase. Second phrase “quoted”, ünïcödé');
    await out.idle();
    await expect.poll(() => clipboard(x)).toBe('First phrase. Second phrase “quoted”, ünïcödé');
  });

  it('reports a failed typing once, in words, and goes on with the next phrase', async () => {
    // A display that is not there: xdotool itself fails.
    const { out, statuses } = output('type', { ...x.env, DISPLAY: ':987' });
    out.write('Lost words');
    await out.idle();
    expect(statuses).toHaveLength(1);
    expect(statuses[0].lastError).toMatch(
      /^The last phrase could not be typed into the focused app \(it is kept in Attune\): xdotool failed \(exit status 1\): .*display/i,
    );
    expect(out.status().lastError).toBe(statuses[0].lastError);
    // A new dictation starts clean.
    out.begin();
    expect(out.status().lastError).toBeNull();
  });

  it('names the package to install when xdotool is missing, and copies instead when it can', () => {
    const empty = mkdtempSync(join(dir, 'bin-'));
    const { out } = output('type', { PATH: empty, DISPLAY: x.display });
    expect(out.status()).toMatchObject({
      action: 'none',
      tool: null,
      problem: 'Typing into other apps needs xdotool: install it with sudo apt-get install xdotool.',
    });
    // The real xclip alone on PATH: phrases go to the clipboard, and the message says to paste.
    const xclipOnly = mkdtempSync(join(dir, 'bin-'));
    symlinkSync(execFileSync('which', ['xclip'], { encoding: 'utf8' }).trim(), join(xclipOnly, 'xclip'));
    const fallback = output('type', { PATH: xclipOnly, DISPLAY: x.display }).out;
    expect(fallback.status()).toMatchObject({ action: 'copy', tool: 'xclip' });
    expect(fallback.status().problem).toMatch(
      /needs xdotool: install it with sudo apt-get install xdotool\. Until then .* paste it with Ctrl\+V/,
    );
  });

  it('writes nothing in "Attune window only" mode', async () => {
    const { out } = output('window');
    expect(out.status()).toMatchObject({ mode: 'window', action: 'none', tool: null, problem: null });
    // xclip stays behind to serve the clipboard: its output must not be waited for.
    execFileSync('xclip', ['-selection', 'clipboard', '-in'], {
      env: x.env,
      input: 'before',
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    await expect.poll(() => clipboard(x)).toBe('before');
    out.write('Not for anyone else');
    await out.idle();
    expect(clipboard(x)).toBe('before');
  });
});

describe('TextOutput on macOS: the Accessibility permission', () => {
  it("asks with the system's dialog once, again when typing is chosen anew, and types once it is given", () => {
    // Electron's systemPreferences, as the desktop app hands it over (main.ts): trusted, and the dialog.
    let trusted = false;
    let asked = 0;
    const out = new TextOutput(() => 'type', {
      platform: 'darwin',
      env: {},
      accessibility: { trusted: () => trusted, ask: () => void asked++ },
    });
    expect(asked).toBe(0); // reading the status asks nothing
    expect(out.status()).toMatchObject({
      action: 'none',
      permission: 'denied',
      problem: expect.stringContaining('System Settings → Privacy & Security → Accessibility'),
    });
    out.begin();
    out.begin();
    expect(asked).toBe(1);
    out.refresh(); // the user chose "Type into the app" in Settings
    expect(asked).toBe(2);
    trusted = true;
    out.begin();
    expect(out.status()).toMatchObject({
      action: 'type',
      tool: 'osascript',
      permission: 'granted',
      problem: null,
    });
    expect(asked).toBe(2);
  });

  it('needs no permission to copy', () => {
    let asked = 0;
    const out = new TextOutput(() => 'clipboard', {
      platform: 'darwin',
      env: {},
      accessibility: { trusted: () => false, ask: () => void asked++ },
    });
    out.begin();
    expect(out.status()).toMatchObject({ action: 'copy', tool: 'pbcopy', permission: 'not-needed' });
    expect(asked).toBe(0);
  });
});
