// End to end on real (synthetic) speech: espeak-ng audio → prepareFeatures → FeatureCache → train(). A tiny
// model must learn the sentences it trains on, log what it did, and resume after a kill to exactly the
// weights an uninterrupted run reaches.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModelFolder } from '../../src-main/model/checkpoint.js';
import { type AcousticConfig, DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { AUDIO_READER_VERSION } from '../../src-main/speech/audio.js';
import { DEFAULT_FEATURES } from '../../src-main/speech/features.js';
import { DEFAULT_AUGMENT } from '../../src-main/training/feature-augment.js';
import { FeatureCache } from '../../src-main/training/feature-cache.js';
import { prepareFeatures, type SourceUtterance } from '../../src-main/training/prepare.js';
import { type TrainConfig, type TrainEvent, train } from '../../src-main/training/train.js';

const run = promisify(execFile);

const SENTENCES = [
  'Hello world.',
  'Good morning!',
  'The cat sat.',
  'Open the door.',
  'Thank you very much.',
  'See you later.',
];
const VOICES = ['en-us', 'en-gb', 'en-us+f3'];

const ACOUSTIC: AcousticConfig = {
  ...DEFAULT_ACOUSTIC,
  channels: 32,
  blocks: 3,
  kernel: 5,
  blockRightContext: [1, 0, 1],
};

/** Settings shared by the runs: small batches, a short constant schedule, evaluation on the train set. */
function config(runDir: string, patch: Partial<TrainConfig>): Partial<TrainConfig> {
  return {
    runDir,
    acoustic: ACOUSTIC,
    augment: null,
    optimizer: {
      learningRate: 3e-3,
      warmupSteps: 10,
      decay: 'constant',
      totalSteps: 1000,
      minLearningRate: 1e-4,
      beta1: 0.9,
      beta2: 0.98,
      epsilon: 1e-8,
      weightDecay: 1e-3,
      anchorDecay: 0,
      clipNorm: 5,
    },
    batches: { maxFrames: 1600, maxUtterances: 6, maxUtteranceFrames: 2000 },
    devUtterances: 200,
    seed: 7,
    patience: 0,
    ...patch,
  };
}

let root: string;
let utterances: SourceUtterance[];
let cache: FeatureCache;
let threads = 0;

beforeAll(async () => {
  // Two threads, as the wasm backend runs in production here: exact resumption must hold there too.
  const info = await initBackend({ prefer: 'wasm', wasmThreads: 2 });
  threads = info.threads;
  root = mkdtempSync(join(tmpdir(), 'attune-train-'));
  utterances = [];
  for (const [v, voice] of VOICES.entries())
    for (const [s, text] of SENTENCES.entries())
      utterances.push({ id: `${voice}-${s}`, speaker: voice, audioPath: join(root, `${v}-${s}.wav`), text });
  // Two synthesis processes at a time: the machine is shared.
  for (let k = 0; k < utterances.length; k += 2) {
    await Promise.all(
      utterances
        .slice(k, k + 2)
        .map((u) => run('espeak-ng', ['-v', u.speaker, '-s', '190', '-w', u.audioPath, u.text])),
    );
  }
  const report = await prepareFeatures(utterances, join(root, 'train.feats'), { jobs: 2 });
  expect(report.skipped).toEqual([]);
  cache = FeatureCache.load(join(root, 'train.feats'));
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('prepareFeatures', () => {
  it('writes one cache item per utterance, in input order, with its text and speaker', () => {
    expect(cache.items.map((i) => i.id)).toEqual(utterances.map((u) => u.id));
    expect(cache.items.map((i) => i.text)).toEqual(utterances.map((u) => u.text));
    expect(cache.items.map((i) => i.speaker)).toEqual(utterances.map((u) => u.speaker));
    expect(cache.bins).toBe(DEFAULT_FEATURES.nMels);
    for (const it of cache.items) expect(it.frames).toBeGreaterThan(40); // each clip is over 0.4 s
  });

  it('reuses an existing complete cache without touching it', async () => {
    const path = join(root, 'train.feats');
    const before = statSync(path).mtimeMs;
    const progress: number[] = [];
    const r = await prepareFeatures(utterances, path, { jobs: 2 }, (d) => progress.push(d));
    expect(r.reused).toBe(true);
    expect(r.items).toBe(utterances.length);
    expect(r.audioSeconds).toBeCloseTo((cache.totalFrames * DEFAULT_FEATURES.hopLength) / 16000, 6);
    expect(progress).toEqual([]);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('skips an unreadable file with its reason and keeps the rest; a rerun reuses that cache', async () => {
    const bad = join(root, 'not-audio.wav');
    writeFileSync(bad, 'this is not a wav file');
    const short = join(root, 'short.wav');
    await run('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', short, 'trim', '0', '0.01']);
    const list: SourceUtterance[] = [
      utterances[0],
      { id: 'broken', speaker: 'x', audioPath: bad, text: 'broken' },
      { id: 'missing', speaker: 'x', audioPath: join(root, 'nowhere.wav'), text: 'missing' },
      { id: 'tiny', speaker: 'x', audioPath: short, text: 'tiny' },
      utterances[1],
    ];
    const path = join(root, 'with-bad.feats');
    const progress: number[] = [];
    const r = await prepareFeatures(list, path, { jobs: 2 }, (d) => progress.push(d));
    expect(r.reused).toBe(false);
    expect(r.items).toBe(2);
    expect(progress.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    const reasons = new Map(r.skipped.map((s) => [s.id, s.reason]));
    expect([...reasons.keys()].sort()).toEqual(['broken', 'missing', 'tiny']);
    expect(reasons.get('broken')).toMatch(/not-audio\.wav/);
    expect(reasons.get('missing')).toMatch(/nowhere\.wav/);
    expect(reasons.get('tiny')).toMatch(/too short for one feature frame/);
    const c = FeatureCache.load(path);
    expect(c.items.map((i) => i.id)).toEqual([utterances[0].id, utterances[1].id]);
    // Features equal those of the same audio prepared alone.
    expect(c.features(1)).toEqual(cache.features(1));
    // Rerunning with the same list reuses the cache and still reports what was skipped.
    const mtime = statSync(path).mtimeMs;
    const again = await prepareFeatures(list, path, { jobs: 2 });
    expect(again.reused).toBe(true);
    expect(again.items).toBe(2);
    expect(again.skipped.map((s) => s.id).sort()).toEqual(['broken', 'missing', 'tiny']);
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it('rebuilds a cache whose utterances or settings differ from the request', async () => {
    const path = join(root, 'subset.feats');
    await prepareFeatures(utterances.slice(0, 3), path, { jobs: 2 });
    // One utterance fewer: the removed one must not stay in the training data.
    const fewer = await prepareFeatures(utterances.slice(0, 2), path, { jobs: 2 });
    expect(fewer.reused).toBe(false);
    expect(FeatureCache.load(path).items.map((i) => i.id)).toEqual(utterances.slice(0, 2).map((u) => u.id));
    // A corrected transcript for the same audio.
    const corrected = [{ ...utterances[0], text: 'Hello there world.' }, utterances[1]];
    expect((await prepareFeatures(corrected, path, { jobs: 2 })).reused).toBe(false);
    expect(FeatureCache.load(path).items[0].text).toBe('Hello there world.');
    // Other front-end settings.
    const features = { ...DEFAULT_FEATURES, nMels: 40 };
    expect((await prepareFeatures(corrected, path, { jobs: 2, features })).reused).toBe(false);
    expect(FeatureCache.load(path).bins).toBe(40);
  });

  it('rebuilds a cache whose audio was decoded by an older reader', async () => {
    const path = join(root, 'old-reader.feats');
    await prepareFeatures(utterances.slice(0, 2), path, { jobs: 2 });
    expect(FeatureCache.load(path).header.audioReader).toBe(AUDIO_READER_VERSION);
    // The same file as a reader before version 2 wrote it: no audioReader in the header.
    const bytes = readFileSync(path);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as Record<
      string,
      unknown
    >;
    delete header.audioReader;
    const oldHeader = Buffer.from(JSON.stringify(header), 'utf8');
    const pre = Buffer.from(bytes.subarray(0, 12));
    pre.writeUInt32LE(oldHeader.length, 8);
    writeFileSync(path, Buffer.concat([pre, oldHeader, bytes.subarray(12 + headerLength)]));
    expect(FeatureCache.load(path).header.audioReader).toBeUndefined();

    expect((await prepareFeatures(utterances.slice(0, 2), path, { jobs: 2 })).reused).toBe(false);
    expect(FeatureCache.load(path).header.audioReader).toBe(AUDIO_READER_VERSION);
  });
});

/** Runs train() and records its events. */
async function trainRun(patch: Partial<TrainConfig>, runDir: string, abortAfterStep?: number) {
  const events: TrainEvent[] = [];
  const controller = new AbortController();
  const result = await train({ train: cache, dev: cache }, config(runDir, patch), {
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'step' && e.step === abortAfterStep) controller.abort();
    },
    signal: controller.signal,
  });
  return { events, result };
}

describe('train', () => {
  it('learns the training sentences: the loss falls and dev CER drops well below 1', async () => {
    const runDir = join(root, 'learn');
    const t0 = performance.now();
    const steps = 160;
    const { events, result } = await trainRun({ steps, evalEvery: 40, checkpointEvery: 80 }, runDir);
    const seconds = (performance.now() - t0) / 1000;
    const losses = events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e] : []));
    expect(losses).toHaveLength(steps);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 10));
    const last = mean(losses.slice(-10));
    console.log(
      `train: ${steps} steps in ${seconds.toFixed(1)} s; loss ${first.toFixed(3)} → ${last.toFixed(3)}; ` +
        `dev CER ${evals.map((e) => e.cer.toFixed(3)).join(' → ')}`,
    );
    expect(last).toBeLessThan(0.5 * first);
    expect(evals.map((e) => e.step)).toEqual([40, 80, 120, 160]);
    expect(evals[0].cer).toBeGreaterThan(evals[evals.length - 1].cer);
    expect(evals[evals.length - 1].cer).toBeLessThan(0.3);
    expect(result.bestCer).toBeLessThan(0.3);
    expect(result.bestCer).toBe(Math.min(...evals.map((e) => e.cer)));
    expect(result.lastEval?.hypotheses).toHaveLength(utterances.length);
    expect(events[0]).toMatchObject({ type: 'start', step: 0, steps, resumed: false, trainUtterances: 18 });
    expect(events[events.length - 1]).toMatchObject({ type: 'done', step: steps, stopped: 'finished' });

    // The JSON-lines log has every event, each a JSON object with a time.
    const lines = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n');
    const logged = lines.map((l) => JSON.parse(l) as TrainEvent & { time: string });
    expect(logged).toHaveLength(events.length);
    for (const l of logged) expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    const stepLines = logged.filter((l) => l.type === 'step');
    expect(stepLines.map((l) => l.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    for (const l of stepLines)
      if (l.type === 'step') {
        expect(Number.isFinite(l.loss) && l.loss > 0).toBe(true);
        expect(l.learningRate).toBeGreaterThan(0);
        expect(l.audioSeconds).toBeGreaterThan(0);
      }
    expect(logged.filter((l) => l.type === 'eval').map((l) => l.step)).toEqual([40, 80, 120, 160]);
    expect(logged.filter((l) => l.type === 'checkpoint').map((l) => l.step)).toEqual([80, 160]);

    // The best model is a loadable model folder carrying its dev score.
    const best = loadModelFolder(join(runDir, 'best'));
    expect(best.acoustic).toEqual(ACOUSTIC);
    expect((best.info.metrics as { dev: { cer: number } }).dev.cer).toBe(result.bestCer);
    result.model.dispose();
  }, 120_000);

  it('resumes after a kill to exactly the weights of an uninterrupted run', async () => {
    // Augmentation and dropout on, several batches per epoch: every random draw must follow (seed, step).
    const patch: Partial<TrainConfig> = {
      steps: 24,
      evalEvery: 16,
      checkpointEvery: 10,
      augment: DEFAULT_AUGMENT,
      batches: { maxFrames: 900, maxUtterances: 4, maxUtteranceFrames: 2000 },
    };
    const a = await trainRun(patch, join(root, 'run-a'));
    // B is cancelled after step 12 (mid-epoch, between scheduled evaluations), then started again.
    const dirB = join(root, 'run-b');
    const b1 = await trainRun(patch, dirB, 12);
    expect(b1.events[b1.events.length - 1]).toMatchObject({ type: 'done', step: 12, stopped: 'cancelled' });
    expect(b1.events.filter((e) => e.type === 'step')).toHaveLength(12);
    expect(JSON.parse(readFileSync(join(dirB, 'checkpoint', 'trainer.json'), 'utf8')).step).toBe(12);
    b1.result.model.dispose();
    const b2 = await trainRun(patch, dirB);
    expect(b2.events[0]).toMatchObject({ type: 'start', step: 12, resumed: true });
    expect(b2.events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual(
      Array.from({ length: 12 }, (_, i) => 13 + i),
    );

    // Same losses step by step, same evaluation, same final weights.
    const lossesA = a.events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    const lossesB = [...b1.events, ...b2.events].flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    expect(lossesB).toEqual(lossesA);
    const wa = a.result.model.weights();
    const wb = b2.result.model.weights();
    let worst = 0;
    for (const [name, x] of wa) {
      const y = wb.get(name)!;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
    }
    console.log(`resume (wasm, ${threads} thread(s)): max |weight A − weight B| = ${worst}`);
    expect(worst).toBe(0);
    // B also scored the weights it left behind when cancelled; its scheduled evaluations match A's.
    const evalsA = a.events.flatMap((e) => (e.type === 'eval' ? [e] : []));
    const evalsB = [...b1.events, ...b2.events].flatMap((e) => (e.type === 'eval' ? [e] : []));
    const atCancel = evalsB.find((e) => e.step === 12)!;
    expect(atCancel).toBeDefined();
    expect(evalsB.filter((e) => e.step !== 12).map((e) => [e.step, e.cer])).toEqual(
      evalsA.map((e) => [e.step, e.cer]),
    );
    expect(b2.result.bestCer).toBe(Math.min(a.result.bestCer, atCancel.cer));
    // The best model was saved after the resume, as in the uninterrupted run.
    expect(existsSync(join(dirB, 'best', 'model.safetensors'))).toBe(true);
    a.result.model.dispose();
    b2.result.model.dispose();

    // The log holds both sessions of run B.
    const logged = readFileSync(join(dirB, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrainEvent);
    expect(logged.filter((l) => l.type === 'start').map((l) => l.type === 'start' && l.resumed)).toEqual([
      false,
      true,
    ]);
  }, 120_000);

  it('trains as one thread does with two training threads sharing each batch, and resumes exactly', async () => {
    // No dropout: its masks follow the shards, so they differ between one thread and two.
    const patch: Partial<TrainConfig> = {
      steps: 16,
      evalEvery: 8,
      checkpointEvery: 6,
      augment: DEFAULT_AUGMENT,
      dropout: 0,
      batches: { maxFrames: 900, maxUtterances: 4, maxUtteranceFrames: 2000 },
    };
    const one = await trainRun(patch, join(root, 'threads-1'));
    const two = await trainRun({ ...patch, threads: 2 }, join(root, 'threads-2'));
    const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    const l1 = losses(one.events);
    const l2 = losses(two.events);
    expect(l2).toHaveLength(16);
    // Step 1 starts from the same weights: only rounding differs. Later steps drift a little further.
    expect(Math.abs(l2[0] - l1[0])).toBeLessThan(1e-4 * l1[0]);
    l2.forEach((l, i) => expect(Math.abs(l - l1[i]), `step ${i + 1}`).toBeLessThan(0.02 * l1[i]));
    expect(l2.at(-1)!).toBeLessThan(l2[0]);

    // Killed after step 7 and started again, the two-thread run reaches exactly the same weights.
    const dir = join(root, 'threads-2-resumed');
    const b1 = await trainRun({ ...patch, threads: 2 }, dir, 7);
    b1.result.model.dispose();
    const b2 = await trainRun({ ...patch, threads: 2 }, dir);
    expect(b2.events[0]).toMatchObject({ type: 'start', step: 7, resumed: true });
    expect([...losses(b1.events), ...losses(b2.events)]).toEqual(l2);
    const wa = two.result.model.weights();
    const wb = b2.result.model.weights();
    for (const [name, x] of wa) expect(wb.get(name), name).toEqual(x);
    for (const r of [one, two, b2]) r.result.model.dispose();
  }, 120_000);
});
