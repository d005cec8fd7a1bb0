// Run by the export crash scenario (node --import tsx test/reliability/export-child.ts <dataDir> <outDir>
// <sessionId> <name> <replacedName>): exports the session into outDir again and again, cycling through the
// formats: as "<name> (n)" beside the earlier ones, and every third time replacing "<replacedName>" in place.
// Prints each path once its export has returned. Stops by itself after maxMs so it can never outlive a test
// that died.
import { writeSync } from 'node:fs';
import { exportSession } from '../../src-main/store/export.js';
import { Store } from '../../src-main/store/store.js';
import { EXPORT_FORMATS } from '../../src-main/store/types.js';

const [dataDir, outDir, sessionArg, name, replacedName, maxMsArg] = process.argv.slice(2);
if (!dataDir || !outDir || !sessionArg || !name || !replacedName)
  throw new Error('usage: export-child.ts <dataDir> <outDir> <sessionId> <name> <replacedName> [maxMs]');
setTimeout(() => process.exit(1), Number(maxMsArg ?? 60_000)).unref();

const store = Store.open({ dataDir });
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  const format = EXPORT_FORMATS[i % EXPORT_FORMATS.length];
  const replace = i % 3 === 2;
  const { path } = await exportSession(store, Number(sessionArg), {
    format,
    dir: outDir,
    fileName: replace ? replacedName : name,
    ifExists: replace ? 'replace' : 'number',
  });
  writeSync(1, `exported ${path}\n`);
}
