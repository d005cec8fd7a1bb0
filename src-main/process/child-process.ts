import { fork, type Serializable } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The part of a child process the engine and trainer clients need, for one pair of message types:
 * Node's fork (below) and Electron's utilityProcess (app/electron-launcher.ts) both fit.
 */
export interface ChildLink<To, From> {
  send(msg: To): void;
  onMessage(handler: (msg: From) => void): void;
  onExit(handler: (code: number | null) => void): void;
  kill(): void;
  readonly pid?: number;
}

/**
 * The entry `name` of a child process beside the client module at `clientUrl`: .ts when running from
 * source, .js when built.
 */
export function entryBeside(clientUrl: string, name: string): string {
  const client = fileURLToPath(clientUrl);
  return join(dirname(client), `${name}${client.endsWith('.ts') ? '.ts' : '.js'}`);
}

/** Starts `entry` as a Node child process; a TypeScript entry gets the tsx loader. */
export function forkNode<To extends Serializable, From>(
  entry: string,
  killSignal: NodeJS.Signals = 'SIGTERM',
): ChildLink<To, From> {
  const execArgv = entry.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : [];
  const child = fork(entry, [], {
    serialization: 'advanced',
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (h) => child.on('message', (m) => h(m as From)),
    onExit: (h) => child.on('exit', (code) => h(code)),
    kill: () => child.kill(killSignal),
  };
}
