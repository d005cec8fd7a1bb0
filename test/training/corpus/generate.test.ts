import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, englishAlphabet, normalizeText } from '../../../src-main/speech/alphabet.js';
import { readAudio } from '../../../src-main/speech/audio.js';
import { CorpusConfigError, type CorpusOptions } from '../../../src-main/training/corpus/config.js';
import {
  designCorpus,
  generateCorpus,
  utterancePath,
  type CorpusProgress,
  type CorpusResult,
} from '../../../src-main/training/corpus/generate.js';
import type { PlannedUtterance } from '../../../src-main/training/corpus/plan.js';
import { readLibriSpeech } from '../../../src-main/training/librispeech.js';

// Three engines, two held-out voices (one flite, one espeak-ng), tiny chapters to exercise chapter
// numbering: about a dozen utterances, a few seconds to make.
const MINI: Omit<CorpusOptions, 'outDir'> = {
  hours: 0.01,
  seed: 7,
  voices: ['flite-slt', 'flite-rms', 'festival-kal_diphone', 'espeak-en-us+m3', 'espeak-en-gb+f2'],
  heldOutVoices: ['flite-rms', 'espeak-en-gb+f2'],
  evalUtterances: { dev: 2, 'test-seen': 2, 'test-unseen': 3 },
  evalMaxShare: 0.2,
  chapterUtterances: 3,
};
const HELD_OUT = new Set(['flite-rms', 'espeak-en-gb+f2']);

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const readPlan = (dir: string): PlannedUtterance[] =>
  readFileSync(join(dir, 'utterances.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PlannedUtterance);

describe('synthetic corpus (mini)', () => {
  let root: string;
  let outA: string;
  let result: CorpusResult;
  let plan: PlannedUtterance[];
  const progress: CorpusProgress[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'attune-corpus-'));
    outA = join(root, 'a');
    result = await generateCorpus({ ...MINI, outDir: outA }, (p) => progress.push(p));
    plan = readPlan(outA);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('plans every split, and makes every planned utterance', () => {
    const splits = new Set(plan.map((u) => u.split));
    expect([...splits].sort()).toEqual(['dev', 'test-seen', 'test-unseen', 'train']);
    expect(result.failed).toEqual([]);
    expect(result.generated).toBe(plan.length);
    const s = result.manifest.splits;
    expect(
      s.train.utterances + s.dev.utterances + s['test-seen'].utterances + s['test-unseen'].utterances,
    ).toBe(plan.length);
    expect(s.dev.utterances).toBe(2);
    expect(s['test-unseen'].utterances).toBe(3);
    // The plan aims at `hours` from estimates; the measured total should land near it.
    const hours = s.train.hours + s.dev.hours + s['test-seen'].hours + s['test-unseen'].hours;
    expect(hours).toBeGreaterThan(0.006);
    expect(hours).toBeLessThan(0.016);
  });

  it('records source, licence and tool versions in the manifest', () => {
    const m = result.manifest;
    expect(m.seed).toBe(MINI.seed);
    expect(m.source.package).toBe('wordnet-base');
    expect(m.source.licence).toMatch(/WordNet 3\.0/);
    expect(readFileSync(join(outA, 'TEXT-LICENCE.txt'), 'utf8')).toContain('Princeton University');
    expect(m.tools.flite).toMatch(/flite-2/);
    expect(m.tools['espeak-ng']).toMatch(/eSpeak NG/);
    expect(m.tools.festival).toMatch(/Festival/);
    expect(m.tools.sox).toMatch(/SoX/);
    expect(m.config).not.toHaveProperty('outDir');
    expect(JSON.parse(readFileSync(join(outA, 'manifest.json'), 'utf8'))).toEqual(m);
  });

  it('writes LibriSpeech layout that the reader reads back, transcripts in spoken upper case', async () => {
    const corpus = await readLibriSpeech(outA);
    expect(corpus.warnings).toEqual([]);
    expect(corpus.utterances.map((u) => u.id)).toEqual(plan.map((u) => u.id).sort());
    const byId = new Map(plan.map((u) => [u.id, u]));
    for (const u of corpus.utterances) {
      const p = byId.get(u.id)!;
      expect(relative(outA, u.audioPath)).toBe(utterancePath(p));
      expect(u.audioPath).toMatch(/\/(train|dev|test-seen|test-unseen)\/(\d+)\/(\d+)\/\2-\3-\d{4}\.flac$/);
      expect(u.speaker).toBe(String(p.speaker));
      expect(u.chapter).toBe(String(p.chapter));
      expect(u.text).toBe(normalizeText(p.sentence).toUpperCase());
      expect(() => encode(u.text.toLowerCase(), englishAlphabet())).not.toThrow();
      expect(statSync(join(dirname(u.audioPath), `${u.speaker}-${u.chapter}.trans.txt`)).isFile()).toBe(true);
    }
    // One split folder on its own is a corpus too.
    const dev = await readLibriSpeech(join(outA, 'dev'));
    expect(dev.utterances.map((u) => u.id)).toEqual(
      plan
        .filter((u) => u.split === 'dev')
        .map((u) => u.id)
        .sort(),
    );
  });

  it('writes 16 kHz mono FLAC at the planned level, with speech in it', async () => {
    for (const u of plan) {
      const audio = await readAudio(join(outA, utterancePath(u)));
      expect(audio.source.format).toBe('flac');
      expect(audio.source.sampleRate).toBe(16000);
      expect(audio.source.channels).toBe(1);
      let peak = 0;
      let energy = 0;
      for (const x of audio.samples) {
        peak = Math.max(peak, Math.abs(x));
        energy += x * x;
      }
      expect(Math.sqrt(energy / audio.samples.length)).toBeGreaterThan(0.002); // not silence
      expect(20 * Math.log10(peak)).toBeCloseTo(u.augment.peakDb, 0);
      expect(audio.durationSec).toBeGreaterThan((u.augment.padStartMs + u.augment.padEndMs) / 1000 + 0.3);
    }
  });

  it('keeps held-out voices out of training and held-out sentences out of train', () => {
    for (const u of plan) {
      expect(HELD_OUT.has(u.voice)).toBe(u.split === 'test-unseen');
    }
    const trainSentences = new Set(plan.filter((u) => u.split === 'train').map((u) => u.transcript));
    for (const u of plan.filter((x) => x.split !== 'train'))
      expect(trainSentences.has(u.transcript)).toBe(false);
    const roles = Object.fromEntries(result.manifest.voices.map((v) => [v.name, v.role]));
    expect(roles).toEqual({
      'flite-slt': 'train',
      'festival-kal_diphone': 'train',
      'espeak-en-us+m3': 'train',
      'flite-rms': 'held-out',
      'espeak-en-gb+f2': 'held-out',
    });
  });

  it('reports progress up to the total', () => {
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
    expect(last.total).toBe(plan.length);
    const seconds = Object.values(result.manifest.splits).reduce((a, s) => a + s.seconds, 0);
    expect(last.audioSeconds).toBeCloseTo(seconds, 0);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
  });

  it('is reproducible from the seed: same seed, same bytes; another seed, another corpus', async () => {
    const outB = join(root, 'b');
    const again = await generateCorpus({ ...MINI, outDir: outB, jobs: 1 });
    expect(again.manifest).toEqual(result.manifest);
    expect(readFileSync(join(outB, 'utterances.jsonl'), 'utf8')).toBe(
      readFileSync(join(outA, 'utterances.jsonl'), 'utf8'),
    );
    for (const u of plan) expect(sha(join(outB, utterancePath(u)))).toBe(sha(join(outA, utterancePath(u))));

    const other = (await designCorpus({ ...MINI, outDir: join(root, 'c'), seed: 8 })).plan;
    const key = (u: PlannedUtterance) => `${u.voice}|${u.sentence}|${JSON.stringify(u.augment)}`;
    const same = new Set(plan.map(key));
    expect(other.filter((u) => same.has(key(u))).length).toBeLessThan(other.length / 4);
  });

  it('resumes: regenerates only what is missing, identically', async () => {
    const victims = [plan[0], plan[plan.length - 1]];
    const before = new Map(plan.map((u) => [u.id, sha(join(outA, utterancePath(u)))]));
    const mtimes = new Map(plan.map((u) => [u.id, statSync(join(outA, utterancePath(u))).mtimeMs]));
    for (const u of victims) unlinkSync(join(outA, utterancePath(u)));
    const transcript = join(
      outA,
      dirname(utterancePath(victims[0])),
      `${victims[0].speaker}-${victims[0].chapter}.trans.txt`,
    );
    unlinkSync(transcript);

    const resumed = await generateCorpus({ ...MINI, outDir: outA });
    expect(resumed.generated).toBe(2);
    expect(resumed.skipped).toBe(plan.length - 2);
    expect(resumed.manifest).toEqual(result.manifest);
    for (const u of plan) {
      expect(sha(join(outA, utterancePath(u)))).toBe(before.get(u.id));
      if (!victims.includes(u)) expect(statSync(join(outA, utterancePath(u))).mtimeMs).toBe(mtimes.get(u.id));
    }
    expect((await readLibriSpeech(outA)).utterances).toHaveLength(plan.length);
  });

  it('refuses to mix a different corpus into the same folder', async () => {
    await expect(generateCorpus({ ...MINI, outDir: outA, seed: 99 })).rejects.toThrow(CorpusConfigError);
  });
});
