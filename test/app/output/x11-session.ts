// A real X11 session for the typing tests: Xvfb on a display number it picks itself, and xterm windows
// whose shell writes what is typed into them to a file (`cat > FILE`), focused as a user would focus them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onPath } from '../../../src-main/app/output/find-tool.js';

/** Why these tests cannot run here (the Debian packages to install), or null when they can. */
export function x11ToolsMissing(): string | null {
  const tools = { Xvfb: 'xvfb', xdotool: 'xdotool', xterm: 'xterm', xclip: 'xclip' };
  const missing = Object.entries(tools).filter(([tool]) => !onPath(tool, process.env));
  if (missing.length === 0) return null;
  return `needs ${missing.map(([t]) => t).join(', ')}: sudo apt-get install ${missing.map(([, p]) => p).join(' ')}`;
}

export interface X11Session {
  /** ":N" */
  display: string;
  /** PATH and DISPLAY: the environment a tool needs to reach this display and nothing else. */
  env: NodeJS.ProcessEnv;
  /** Stops the X server (every client of it, xterm and xclip included, then exits). */
  close(): Promise<void>;
}

export async function startXvfb(): Promise<X11Session> {
  // -displayfd: Xvfb takes the first free display number and writes it to fd 3 once it accepts clients.
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start within 10 s: ${stderr}`)), 10_000);
    child.stdio[3]!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${stderr}`));
    });
  });
  const display = `:${number}`;
  return {
    display,
    env: { PATH: process.env.PATH ?? '', DISPLAY: display },
    close: () => stop(child),
  };
}

export interface TextWindow {
  /** The X window id. */
  id: string;
  close(): Promise<void>;
}

/**
 * Opens an xterm whose shell copies what is typed into it to `file`, and gives it the keyboard focus.
 * `canonical`: the terminal passes whole lines once Return is pressed (Backspace edits the line, as in
 * any text field); otherwise every key as it comes (what is typed is in the file at once).
 */
export async function openTextWindow(
  x: X11Session,
  file: string,
  opts: { title: string; canonical: boolean },
): Promise<TextWindow> {
  const script = opts.canonical ? 'exec cat > "$1"' : 'stty -icanon min 1 && exec cat > "$1"';
  const child = spawn('xterm', ['-T', opts.title, '-e', 'sh', '-c', script, 'sh', file], {
    env: x.env,
    stdio: 'ignore',
  });
  const xdotool = (...args: string[]) =>
    execFileSync('xdotool', args, { env: x.env, encoding: 'utf8', timeout: 10_000 }).trim();
  // --onlyvisible: focus can be given only to a window that is mapped.
  const id = xdotool('search', '--sync', '--onlyvisible', '--name', `^${opts.title}$`).split('\n')[0];
  xdotool('windowfocus', '--sync', id);
  // The shell has run (and set the terminal up) once its redirection has made the file.
  const until = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`xterm's shell did not create ${file} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { id, close: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * What the clipboard holds now. xclip takes the clipboard in a child it forks to serve it, a moment after
 * the command itself has exited: poll this (a user pastes seconds later).
 */
export function clipboard(x: X11Session): string {
  return execFileSync('xclip', ['-selection', 'clipboard', '-out'], {
    env: x.env,
    encoding: 'utf8',
    timeout: 5000,
  });
}
