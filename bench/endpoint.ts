/**
 * The endpointer's peak rule measured on real voices: dictation's recogniser (the shipped model and language
 * model) run over real-dev clips as a microphone would deliver them in two rooms (a quiet room's noise; the
 * digital silence of a noise-suppressed microphone), once per setting of `peakDrop` (how far below the
 * segment's loudest frame a frame counts as quiet; none: the noise floor alone decides). Per setting: where the endpoint falls after the clip's audio ends,
 * how many clips were cut into more than one segment, and the word error rate of the finals. The latency of
 * finals in the real engine is bench/engine.ts's. Writes bench/ENDPOINT.md.
 *
 *   npx tsx bench/endpoint.ts [--model DIR] [--every N] [--drops 5,7,9]
 *
 * Needs the real sets: `attune import --out corpora/real`.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Recognizer } from '../src-main/engine/recognizer.js';
import { initBackend } from '../src-main/model/backend.js';
import { loadModel, type LoadedModel } from '../src-main/model/model-io.js';
import { BASE_LM_PATH } from '../src-main/model/paths.js';
import { normalizeText } from '../src-main/speech/alphabet.js';
import { readAudio } from '../src-main/speech/audio.js';
import { DEFAULT_ENDPOINT } from '../src-main/speech/endpoint.js';
import { CorpusScorer } from '../src-main/speech/metrics.js';
import { mulberry32 } from '../src-main/speech/prng.js';
import { WordLm } from '../src-main/speech/word-lm.js';
import { readLibriSpeech } from '../src-main/training/librispeech.js';
import { repoRoot } from './child.js';

interface EndpointBenchConfig {
  model: string;
  /** Real-dev: a folder per source. */
  set: string;
  /** Every n-th clip of each source (the whole set takes an hour per setting). */
  every: number;
  /** peakDrop settings compared; Infinity is the rule off. */
  drops: number[];
  /** The room around each clip: before it, after it, and its levels compared (white noise, RMS in dBFS). */
  leadMs: number;
  tailMs: number;
  rooms: { name: string; db: number }[];
}

const DEFAULTS: EndpointBenchConfig = {
  model: 'models/base',
  set: 'corpora/real/real-dev',
  every: 8,
  drops: [Infinity, 9, DEFAULT_ENDPOINT.peakDrop, 5],
  leadMs: 300,
  tailMs: 1000,
  rooms: [
    // A quiet room through a laptop microphone.
    { name: 'a quiet room (white noise at -60 dBFS throughout)', db: -60 },
    // Noise suppression (the system's or a headset's) writes digital silence between words: a floor no
    // room has, against which any faint tail is loud.
    { name: 'a noise-suppressed microphone (digital silence around the clip)', db: -Infinity },
  ],
};

const SR = 16000;
const CHUNK = 320; // 20 ms, a microphone's period

interface ClipResult {
  finals: number;
  text: string;
  /** The first final's endpoint after the clip's audio ended (ms; negative: inside the clip's own pause). */
  endpointMs: number | null;
}

/** One clip through a fresh recogniser: the clip, then the quiet room, in microphone-sized chunks. */
async function runClip(
  model: LoadedModel,
  lm: WordLm,
  samples: Float32Array,
  drop: number,
  roomDb: number,
  cfg: EndpointBenchConfig,
) {
  const rec = new Recognizer(model, { endpoint: { ...DEFAULT_ENDPOINT, peakDrop: drop }, languageModel: lm });
  const finals: { text: string; endMs: number }[] = [];
  rec.on('final', (f) => finals.push({ text: f.text, endMs: f.endMs }));
  // The room is heard throughout, under the clip too (as a microphone hears it), so the noise floor is the
  // room's and not the digital silence some recordings contain.
  const rand = mulberry32(samples.length);
  const level = 10 ** (roomDb / 20) * Math.sqrt(3); // uniform noise of that RMS
  const lead = (cfg.leadMs / 1000) * SR;
  const audio = new Float32Array(lead + samples.length + (cfg.tailMs / 1000) * SR).map(
    () => (2 * rand() - 1) * level,
  );
  for (let i = 0; i < samples.length; i++) audio[lead + i] += samples[i];
  for (let i = 0; i < audio.length; i += CHUNK) await rec.accept(audio.subarray(i, i + CHUNK));
  await rec.finish();
  rec.dispose();
  const clipEndMs = ((lead + samples.length) / SR) * 1000;
  const spoken = finals.filter((f) => f.text !== '');
  // The first segment that ends after speech began; one ended by the end of the audio had no endpoint.
  const first = finals.find((f) => f.endMs > cfg.leadMs);
  const endpointed = first !== undefined && first.endMs < clipEndMs + cfg.tailMs;
  return {
    finals: spoken.length,
    text: spoken.map((f) => f.text).join(' '),
    endpointMs: endpointed ? first.endMs - clipEndMs : null,
  } satisfies ClipResult;
}

/** A setting's cells: the endpoint's median delay, clips endpointed, clips split, WER of the finals. */
function settingRow(
  results: { ref: string; r: ClipResult }[],
  drop: number,
  cfg: EndpointBenchConfig,
): string {
  const scorer = new CorpusScorer();
  for (const { ref, r } of results) scorer.add(ref, r.text);
  // A clip without an endpoint waited for the end of the audio: its whole tail.
  const ends = results.map(({ r }) => r.endpointMs ?? cfg.tailMs);
  const endpointed = results.filter(({ r }) => r.endpointMs !== null).length;
  const split = results.filter(({ r }) => r.finals > 1).length;
  const w = scorer.wer;
  const name = Number.isFinite(drop)
    ? `${drop} (≈ ${Math.round(drop * 4.34)} dB)`
    : 'none (the noise floor alone)';
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return `${name} | ${median(ends).toFixed(0)} ms | ${endpointed} of ${results.length} | ${split} (${pct(split / results.length)}) | ${pct((w.substitutions + w.insertions + w.deletions) / w.refLength)} |`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const cfg = { ...DEFAULTS };
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1];
    if (args[i] === '--model' && v) cfg.model = v;
    else if (args[i] === '--every' && Number(v) >= 1) cfg.every = Number(v);
    else if (args[i] === '--drops' && v) {
      cfg.drops = v.split(',').map((x) => (x === 'none' ? Infinity : Number(x)));
      if (cfg.drops.some((d) => !(d > 0)))
        throw new Error(`--drops must list numbers > 0 or "none", got "${v}"`);
    } else
      throw new Error(
        `unknown or bad option ${args[i]} ${v ?? ''} (--model DIR, --every N, --drops 5,7,none)`,
      );
  }
  await initBackend({ prefer: 'wasm' });
  const model = loadModel(cfg.model);
  const lm = WordLm.load(BASE_LM_PATH);
  const clips: { ref: string; samples: Float32Array }[] = [];
  for (const source of readdirSync(cfg.set)
    .filter((s) => !s.startsWith('.'))
    .sort()) {
    const corpus = await readLibriSpeech(join(cfg.set, source));
    for (const u of corpus.utterances.filter((_, k) => k % cfg.every === 0))
      clips.push({ ref: normalizeText(u.text), samples: (await readAudio(u.audioPath)).samples });
  }
  const minutes = clips.reduce((s, c) => s + c.samples.length, 0) / SR / 60;
  const rows: string[] = [];
  for (const room of cfg.rooms) {
    for (const drop of cfg.drops) {
      process.stderr.write(`${room.name}, peakDrop ${drop}: ${clips.length} clips\n`);
      const results: { ref: string; r: ClipResult }[] = [];
      for (const c of clips)
        results.push({ ...c, r: await runClip(model, lm, c.samples, drop, room.db, cfg) });
      rows.push(`| ${room.name} | ${settingRow(results, drop, cfg)}`);
    }
  }
  const out = [
    '# Endpointing: the peak rule on real voices',
    '',
    `Regenerate: \`npx tsx bench/endpoint.ts\` (model \`${cfg.model}\`, the shipped language model).`,
    '',
    `Every ${cfg.every}th clip of each real-dev source (${clips.length} clips, ${minutes.toFixed(1)} min), heard in each room (${cfg.leadMs} ms of it before the clip, ${cfg.tailMs} ms after, and under the clip too), fed to dictation's recogniser in 20 ms chunks. The endpoint is where the first segment ends, measured from the end of the clip's audio (the clips keep their own trailing pause, so it can be negative; a clip with no endpoint before the audio ran out counts its whole tail); a clip cut into more than one segment was split at a pause inside it. Finals are joined per clip and scored against its transcript.`,
    '',
    '| room | peakDrop | endpoint after the clip ends (median) | clips with an endpoint before the audio ran out | clips split into several segments | WER of the finals |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
    '',
    `The default (\`DEFAULT_ENDPOINT.peakDrop\`) is ${DEFAULT_ENDPOINT.peakDrop}. In the real engine fed synthetic phrases with digital silence between them, bench/engine.ts measures the final's delay after speech ends (bench/RESULTS.md).`,
    '',
  ];
  writeFileSync(join(repoRoot, 'bench', 'ENDPOINT.md'), out.join('\n'));
  process.stderr.write('wrote bench/ENDPOINT.md\n');
}

await main();
