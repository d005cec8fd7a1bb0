// Run by personal-training.test.ts (node --import tsx test/personal/record-child.ts <dataDir>): stands in for the
// app at start-up, with a finished job on disk: PersonalTraining records its result in the store (a new model
// version, made active), then forgets the job. With ATTUNE_KILL_POINT set it stops in between, to be killed;
// otherwise it prints "recorded" and exits. Stops by itself after maxMs so it can never outlive its test.
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src-main/store/store.js';
import { PersonalTraining } from '../../src-main/personal/personal-training.js';

const [dataDir, maxMsArg] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: record-child.ts <dataDir> [maxMs]');
setTimeout(() => process.exit(1), Number(maxMsArg ?? 60_000)).unref();
const store = Store.open({ dataDir });
const training = new PersonalTraining({
  store,
  dataDir,
  baseModelDir: join(dataDir, 'base'),
  models: {
    runningDir: join(dataDir, 'base'),
    // As the app activates a version, minus the engine swap.
    activate: async (version, reason) => store.models.setActive(version.id, reason),
  },
  emit: (status) => {
    if (status.state === 'idle' || status.state === 'error') {
      writeSync(1, status.state === 'idle' ? 'recorded\n' : `error ${status.error}\n`);
      store.close();
    }
  },
});
training.resumeUnfinished();
