/**
 * Dictation engine benchmark: the real engine process fed speech in real time, as a microphone
 * would. Measures, per phrase, the delay from the start of speech to the first partial text and
 * from the end of speech to the final text, the word error rate of the finals, plus the engine's CPU
 * load and peak memory. Finals are decoded with the shipped language model, as the app does.
 *
 *   npx tsx bench/engine.ts [modelDir] [--no-lm | --lm FILE] [--beam-width N] [--json]
 *
 * --beam-width sets the finals' language-model search width (default: the engine's, LM_BEAM_WIDTH).
 * --json prints the rows as one JSON line (for bench/lm-compare.ts, which runs it once per language model).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '../src-main/engine/engine-client.js';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { readAudio } from '../src-main/speech/audio.js';
import { CorpusScorer } from '../src-main/speech/metrics.js';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
}

const PHRASES = [
  'please send the report to my manager',
  'we should leave before the traffic gets bad',
  'the garden looks lovely in the spring',
  'remind me to call the dentist tomorrow',
  'this coffee is much too hot to drink',
];
const SR = 16000;
const CHUNK = 320; // 20 ms, like a microphone's period

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** Reads the engine process's CPU time (utime + stime) in ms from /proc. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1000) / 100; // USER_HZ = 100 on Linux
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export async function benchEngine(
  modelDir: string,
  languageModel: string | null = existsSync(BASE_LM_PATH) ? BASE_LM_PATH : null,
  lmBeamWidth?: number,
): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'attune-bench-engine-'));
  try {
    // Phrases from a voice the model never trained on, with pauses between them.
    const clips: Float32Array[] = [];
    for (const [i, p] of PHRASES.entries()) {
      const wav = join(dir, `${i}.wav`);
      execFileSync('flite', ['-voice', 'rms', '-t', p, '-o', wav]);
      clips.push((await readAudio(wav)).samples);
    }
    const pause = SR; // 1 s of silence after each phrase
    const lead = SR / 2;
    const total = lead + clips.reduce((n, c) => n + c.length + pause, 0);
    const audio = new Float32Array(total);
    const spans: { start: number; end: number }[] = [];
    let o = lead;
    for (const c of clips) {
      // Speech onset/offset by energy, so trimmed silence inside the clip does not count as delay.
      let a = 0;
      let b = c.length - 1;
      while (a < c.length && Math.abs(c[a]) < 0.01) a++;
      while (b > a && Math.abs(c[b]) < 0.01) b--;
      audio.set(c, o);
      spans.push({ start: ((o + a) / SR) * 1000, end: ((o + b) / SR) * 1000 });
      o += c.length + pause;
    }

    const started = performance.now();
    const engine = await EngineClient.start({ modelDir, backend: 'wasm', languageModel, lmBeamWidth });
    // Start-up: the process, the backend, the acoustic model and the language model loaded.
    const readyMs = performance.now() - started;
    if (languageModel && !engine.ready?.languageModel) {
      engine.close();
      throw new Error(`the engine did not load ${languageModel}: ${engine.ready?.languageModelError}`);
    }
    const pid = engine.pid!;
    // Every event with its wall-clock arrival (ms since the first audio was due) and its audio span.
    const events: { kind: 'partial' | 'final'; at: number; endMs: number; text: string }[] = [];
    const t0 = performance.now();
    engine.on('partial', (p) =>
      events.push({ kind: 'partial', at: performance.now() - t0, endMs: -1, text: p.text }),
    );
    engine.on('final', (f) =>
      events.push({ kind: 'final', at: performance.now() - t0, endMs: f.endMs, text: f.text }),
    );
    const cpu0 = cpuMs(pid);
    // Real time: chunk k is sent when its audio would have been captured.
    for (let i = 0; i < audio.length; i += CHUNK) {
      const due = ((i + CHUNK) / SR) * 1000;
      const wait = due - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      engine.sendAudio(audio.slice(i, i + CHUNK));
    }
    await engine.finish();
    const wall = performance.now() - t0;
    const cpu = cpuMs(pid) - cpu0;
    const rss = peakRss(pid);
    engine.close();
    // Per phrase: the first partial with text after its speech began, and the final whose segment
    // reaches the end of its speech (a phrase may be split into several segments at pauses).
    const firstPartial: number[] = [];
    const finalDelay: number[] = [];
    spans.forEach((span, k) => {
      const next = spans[k + 1]?.start ?? Infinity;
      const p = events.find(
        (e) => e.kind === 'partial' && e.text !== '' && e.at >= span.start && e.at < next,
      );
      if (p) firstPartial.push(p.at - span.start);
      const f = events.find((e) => e.kind === 'final' && e.endMs >= span.end && e.at >= span.end);
      if (f && f.at < next) finalDelay.push(f.at - span.end);
    });
    const ok = (xs: number[]) => xs.filter((x) => Number.isFinite(x));
    // Accuracy of what dictation wrote: every final against every phrase, in order.
    const scored = new CorpusScorer();
    scored.add(
      PHRASES.join(' '),
      events
        .filter((e) => e.kind === 'final')
        .map((e) => e.text)
        .join(' '),
    );
    return [
      { name: 'phrases finalised', value: finalDelay.length, unit: `of ${PHRASES.length}` },
      {
        name: 'first partial after speech starts (median)',
        value: percentile(ok(firstPartial), 0.5),
        unit: 'ms',
      },
      { name: 'first partial after speech starts (worst)', value: Math.max(...ok(firstPartial)), unit: 'ms' },
      { name: 'final after speech ends (median)', value: percentile(finalDelay, 0.5), unit: 'ms' },
      { name: 'final after speech ends (worst)', value: Math.max(...finalDelay), unit: 'ms' },
      {
        name: `word error rate of the finals (${languageModel ? 'with the language model' : 'greedy'})`,
        value: scored.wer.rate * 100,
        unit: '%',
      },
      { name: 'engine CPU while dictating', value: (cpu / wall) * 100, unit: '% of one core' },
      { name: 'engine peak RSS', value: rss / 1e6, unit: 'MB' },
      { name: 'engine start until ready (models loaded)', value: readyMs, unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  /** The value after a flag (its index too, so it is not read as the model folder). */
  const valueOf = (flag: string, what: string): [string | undefined, number] => {
    const at = args.indexOf(flag);
    if (at >= 0 && (args[at + 1] === undefined || args[at + 1].startsWith('--')))
      throw new Error(`${flag} needs ${what}`);
    return [at >= 0 ? args[at + 1] : undefined, at + 1];
  };
  const [lm, lmValue] = valueOf('--lm', 'the language model file: --lm FILE');
  const [width, widthValue] = valueOf('--beam-width', 'a whole number: --beam-width 128');
  const beamWidth = width === undefined ? undefined : Number(width);
  if (beamWidth !== undefined && !(Number.isInteger(beamWidth) && beamWidth >= 1))
    throw new Error(`--beam-width must be a whole number of at least 1, not "${width}"`);
  const model =
    args.find((a, i) => !a.startsWith('--') && i !== lmValue && i !== widthValue) ??
    fileURLToPath(new URL('../models/base', import.meta.url));
  const rows = await benchEngine(model, args.includes('--no-lm') ? null : lm, beamWidth);
  if (args.includes('--json')) console.log(JSON.stringify(rows));
  else for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}`);
}
