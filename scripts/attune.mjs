#!/usr/bin/env node
// `attune` on PATH (npm link / global install): runs the TypeScript CLI in this very process, with tsx's
// loader registered here. One process, not a launcher and a child: a terminal's Ctrl-C then reaches the
// command once and directly, so a training run can finish its step and save before it exits.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import(new URL('../src-main/cli/main.ts', import.meta.url).href);
await runCli(process.argv);
