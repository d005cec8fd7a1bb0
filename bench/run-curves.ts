// The dev-set curves of training runs side by side, from their logs: each run's greedy error rate on its dev
// set at every evaluation, and its best. Writes a results file for an A/B of runs that share a recipe and a
// dev set.
//
//   npx tsx bench/run-curves.ts bench/phone-contexts.json   (the runs, title, notes and results file to write)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Eval {
  step: number;
  cer: number;
  wer: number;
}

/** The eval lines of a run's log (the latest start's, when it was resumed several times they all count). */
function evals(runDir: string): Eval[] {
  const lines = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n');
  const byStep = new Map<number, Eval>();
  for (const line of lines) {
    const e = JSON.parse(line) as { type: string; step: number; cer?: number; wer?: number };
    if (e.type === 'eval' && e.cer !== undefined && e.wer !== undefined)
      byStep.set(e.step, { step: e.step, cer: e.cer, wer: e.wer });
  }
  if (byStep.size === 0) throw new Error(`${runDir}/log.jsonl has no evaluations`);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** What to compare and say: a JSON file beside the results file it writes. */
interface CurvesSpec {
  out: string;
  title: string;
  /** What the error rate counts (CER, PER). */
  unit: string;
  notes: string[];
  runs: { label: string; dir: string }[];
}

const specPath = process.argv[2];
if (!specPath) {
  console.error('usage: npx tsx bench/run-curves.ts SPEC.json');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, 'utf8')) as CurvesSpec;
const runs = spec.runs.map((r) => ({ ...r, evals: evals(r.dir) }));
const steps = [...new Set(runs.flatMap((r) => r.evals.map((e) => e.step)))].sort((a, b) => a - b);
const lines = [
  `# ${spec.title}`,
  '',
  `Regenerate: \`npx tsx bench/run-curves.ts ${specPath}\` (from the runs' logs; the runs and these notes are in that file).`,
  '',
  ...spec.notes.flatMap((n) => [n, '']),
  `Greedy ${spec.unit} on the dev set at each evaluation (best of each run in bold):`,
  '',
  `| run | ${steps.join(' | ')} | best |`,
  `|---|${steps.map(() => '---:').join('|')}|---:|`,
  ...runs.map((r) => {
    const best = r.evals.reduce((a, b) => (b.cer < a.cer ? b : a));
    const cells = steps.map((s) => {
      const e = r.evals.find((x) => x.step === s);
      return e ? (e === best ? `**${pct(e.cer)}**` : pct(e.cer)) : '';
    });
    return `| ${r.label} (\`${r.dir}\`) | ${cells.join(' | ')} | ${pct(best.cer)} at ${best.step} |`;
  }),
  '',
];
writeFileSync(spec.out, lines.join('\n'));
console.log(`wrote ${spec.out}`);
