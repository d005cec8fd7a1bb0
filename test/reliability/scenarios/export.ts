// Exports written back to back by a process SIGKILLed at a random moment (export-child.ts). Every file under
// a visible name is a whole export; every export the process reported is there; what a kill leaves is a
// hidden temporary file of the dead process alone, and the next export into the folder removes it once it is
// old enough to be nobody's work in progress.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportSession, renderSession } from '../../../src-main/store/export.js';
import { Store } from '../../../src-main/store/store.js';
import { EXPORT_FORMATS, type ExportFormat } from '../../../src-main/store/types.js';
import { running } from '../process-tree.js';
import { type CrashScenario, sleep } from '../crash-scenario.js';
import { databaseProblems } from '../invariants.js';

const CHILD = fileURLToPath(new URL('../export-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** What writeExportFile names its temporary files: ".<stem>.<pid>-<12 hex>.tmp". */
const TEMP = /^\..+\.(\d+)-[0-9a-f]{12}\.tmp$/;
/** Older than this, a dead process's temporary file is a leftover the next export removes (export.ts). */
const LEFTOVER_AGE_MS = 60_000;
const REPLACED = 'Replaced';

export interface ExportCrashConfig {
  /** The kill comes up to this many ms after the process is ready to export. */
  maxMs: number; // 1500
  /** Segments of the exported session: enough that each export takes a moment to write. */
  segments: number; // 400
}

export const DEFAULT_EXPORT_CRASH: ExportCrashConfig = { maxMs: 1500, segments: 400 };

/** A session of `segments` phrases, some corrected; returns its id and each format's expected content. */
function seedSession(
  dataDir: string,
  segments: number,
): { sessionId: number; expected: Map<string, string> } {
  const store = Store.open({ dataDir });
  try {
    const session = store.sessions.create({ title: 'Exported' });
    for (let i = 0; i < segments; i++) {
      const seg = store.segments.append(session.id, {
        startMs: i * 2000,
        endMs: i * 2000 + 1500,
        rawText: `phrase number ${i} of the session that is exported over and over`,
      });
      if (i % 10 === 0) store.corrections.add(seg.id, `phrase number ${i}, corrected`);
    }
    store.sessions.end(session.id);
    const expected = new Map(
      EXPORT_FORMATS.map((format) => [
        format,
        comparable(format, renderSession(store, session.id, { format }).content),
      ]),
    );
    return { sessionId: session.id, expected };
  } finally {
    store.close();
  }
}

/** A file's content as compared: JSON without the moment it was exported. */
function comparable(format: ExportFormat, content: string): string {
  if (format !== 'json') return content;
  const { exportedAt: _at, ...rest } = JSON.parse(content) as Record<string, unknown>;
  return JSON.stringify(rest);
}

/**
 * Starts export-child.ts with `args`; `exported` hears of each path it reports. Lines that arrive after the
 * kill were printed before it: those exports had returned too.
 */
function startExporter(args: string[], exported: (path: string) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') resolve();
        else if (line.startsWith('exported ')) exported(line.slice('exported '.length));
      }
    });
    void closed.then(() => reject(new Error(`the export process ended before it was ready:\n${stderr}`)));
  });
  return {
    pid: child.pid!,
    ready,
    kill: async () => {
      child.kill('SIGKILL');
      await closed;
    },
  };
}

export function exportScenario(config: Partial<ExportCrashConfig> = {}): CrashScenario {
  const cfg = { ...DEFAULT_EXPORT_CRASH, ...config };
  let dir = '';
  let dataDir = '';
  let outDir = '';
  let sessionId = 0;
  let expected = new Map<string, string>();
  let point = 0;
  /** Paths the process reported exported, and the pids of killed writers. */
  const exported = new Set<string>();
  const killedPids = new Set<number>();

  /** Every visible file is whole, every reported one is there, and hidden ones are dead writers' temporaries. */
  const folderProblems = (): string[] => {
    const problems: string[] = [];
    const names = new Set(readdirSync(outDir));
    for (const path of exported)
      if (!names.has(path.slice(outDir.length + 1))) problems.push(`the reported export ${path} is lost`);
    for (const name of names) {
      const temp = TEMP.exec(name);
      if (temp) {
        if (!killedPids.has(Number(temp[1])) || running(Number(temp[1])))
          problems.push(`${name} is a temporary file of no killed export`);
        continue;
      }
      if (name.startsWith('.')) problems.push(`an unexpected hidden file: ${name}`);
      const format = extname(name).slice(1) as ExportFormat;
      let content: string | null = null;
      try {
        content = comparable(format, readFileSync(join(outDir, name), 'utf8'));
      } catch (err) {
        problems.push(`${name} does not read as a ${format} export: ${(err as Error).message}`);
      }
      if (content !== null && content !== expected.get(format))
        problems.push(`${name} is not a whole export`);
    }
    return problems;
  };

  /** Makes the killed writers' temporaries old enough for the next export to remove; returns their names. */
  const ageLeftovers = (): string[] => {
    const old = new Date(Date.now() - 2 * LEFTOVER_AGE_MS);
    const temps = readdirSync(outDir).filter((n) => TEMP.test(n));
    for (const name of temps) utimesSync(join(outDir, name), old, old);
    return temps;
  };

  return {
    name: 'export',
    description: 'a process exporting a 400-phrase session in every format, numbered and replaced in place',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'attune-crash-export-'));
      dataDir = join(dir, 'data');
      outDir = join(dir, 'exports');
      mkdirSync(outDir, { recursive: true });
      ({ sessionId, expected } = seedSession(dataDir, cfg.segments));
    },
    async point(u) {
      const aged = ageLeftovers();
      let thisPoint = 0;
      const child = startExporter(
        [dataDir, outDir, String(sessionId), `Point ${++point}`, REPLACED],
        (path) => {
          exported.add(path);
          thisPoint++;
        },
      );
      await child.ready;
      const delayMs = u * cfg.maxMs;
      await sleep(delayMs);
      killedPids.add(child.pid);
      await child.kill();
      const problems = [...databaseProblems(dataDir), ...folderProblems()];
      const names = new Set(readdirSync(outDir));
      if (thisPoint > 0)
        for (const temp of aged)
          if (names.has(temp)) problems.push(`the next export did not remove the leftover ${temp}`);
      return {
        moment: `${(delayMs / 1000).toFixed(2)} s into the exports (${thisPoint} done by then)`,
        problems,
      };
    },
    async finish() {
      const aged = ageLeftovers();
      const store = Store.open({ dataDir });
      try {
        const { path } = await exportSession(store, sessionId, {
          format: 'txt',
          dir: outDir,
          fileName: 'Last',
        });
        exported.add(path);
      } finally {
        store.close();
      }
      const names = new Set(readdirSync(outDir));
      return [
        ...databaseProblems(dataDir),
        ...folderProblems(),
        ...aged.filter((t) => names.has(t)).map((t) => `the next export did not remove the leftover ${t}`),
      ];
    },
    async close() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
