// Run by trainer.test.ts (npx tsx test/personal/parent-child.ts <jobDir>): stands in for the app, starting the
// trainer process on a job and printing its pid and each step, until it is killed. Stops by itself after
// maxMs so it can never outlive a test that died.
import { writeSync } from 'node:fs';
import { TrainerRun } from '../../src-main/personal/trainer-client.js';

const [workDir, maxMsArg] = process.argv.slice(2);
if (!workDir) throw new Error('usage: parent-child.ts <jobDir> [maxMs]');
const run = TrainerRun.start(workDir, { backend: 'wasm', threads: 1 });
writeSync(1, `trainer ${run.pid}\n`);
run.on('progress', (p) => {
  if (p.phase === 'training') writeSync(1, `step ${p.step}\n`);
});
run.on('exit', () => process.exit(0));
setTimeout(() => process.exit(1), Number(maxMsArg ?? 60_000));
