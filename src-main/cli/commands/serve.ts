import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { startApp } from '../../app/app.js';
import { defaultDataDir, RENDERER_DIR } from '../../app/paths.js';
import { startWebShell, type WebShell } from '../../app/web-shell.js';
import { wholeNumberOption } from './options.js';

interface ServeOptions {
  port: string;
  data?: string;
  model?: string;
  backend: string;
  open: boolean;
}

/** A terminal's Ctrl-C reaches every process of the group (npm and us): one press may arrive twice. */
const REPEAT_SIGNAL_MS = 1000;

/**
 * `attune serve`: the whole app (store, engine, dictation) behind the browser shell, for machines where
 * the Electron window cannot run. Prints the address to open, token included; stops cleanly on Ctrl-C.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run Attune in the browser: serves the app on 127.0.0.1 and prints the address to open')
    .option('--port <n>', 'port on 127.0.0.1; 0 picks any free port', '0')
    .option('--data <dir>', `data folder (default: ${defaultDataDir()})`)
    .option('--model <dir>', 'model folder (default: the active model, else the shipped base model)')
    .option(
      '--backend <name>',
      'compute backend: auto, webgpu (recognition on the GPU), gpu, node, wasm, cpu',
      'auto',
    )
    .option('--no-open', 'do not open the address in the browser')
    .action(async (o: ServeOptions) => {
      const port = wholeNumberOption(String(o.port), 'port', 0, 65535);
      process.stderr.write('starting Attune (loading the speech model)…\n');
      let shell: WebShell | undefined;
      const app = await startApp({
        dataDir: o.data,
        modelDir: o.model,
        backend: o.backend,
        audioUrl: (segmentId) => shell?.audioUrl(segmentId) ?? null,
      });
      try {
        shell = await startWebShell({
          router: app.router,
          staticDir: RENDERER_DIR,
          port,
          segmentAudio: (id) => app.store.segmentAudio(id),
        });
      } catch (err) {
        await app.close();
        const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        throw busy ? new Error(`port ${port} on 127.0.0.1 is in use; choose another with --port`) : err;
      }
      const backend = app.engine.ready?.backend.name ?? 'unknown';
      process.stdout.write(
        `Attune is running. Open this address in your browser (it holds this launch's access token):\n` +
          `${shell.url}\n` +
          `data: ${app.dataDir}\nmodel: ${app.models.runningDir} (backend: ${backend})\nPress Ctrl-C to stop.\n`,
      );
      if (o.open) openInBrowser(shell.url);

      const running = shell;
      await new Promise<void>((done) => {
        let firstAt = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          const now = Date.now();
          if (firstAt === 0) {
            firstAt = now;
            process.stderr.write(`${signal}: stopping Attune…\n`);
            done();
          } else if (now - firstAt > REPEAT_SIGNAL_MS) {
            process.stderr.write('stopping at once\n');
            process.exit(130);
          }
        };
        // Ctrl-C, a service manager's stop, and the terminal closing: each stores the last phrase first.
        for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
      });
      // Dictation in progress is stopped first, so its last phrase is recognised and stored.
      await running.close();
      await app.close();
      process.stderr.write('Attune stopped\n');
    });
}

/** Opens the address in the user's browser; where that cannot be done, the printed address is enough. */
function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () =>
      process.stderr.write(`could not open a browser (${cmd}); open the address above\n`),
    );
    child.unref();
  } catch {
    process.stderr.write(`could not open a browser (${cmd}); open the address above\n`);
  }
}
