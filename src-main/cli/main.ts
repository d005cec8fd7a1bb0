#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';

/** The `attune` command line: every subcommand lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('attune')
    .description('Attune: dictation that learns your voice, entirely on your machine.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

/** Runs the command line on `argv` (node's, with the executable and script first); sets the exit code. */
export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // Known failures (bad files, bad models) carry a message meant for the user; print just that.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`attune: ${message}\n`);
    if (process.env.ATTUNE_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli/main.ts')) {
  await runCli(process.argv);
}
