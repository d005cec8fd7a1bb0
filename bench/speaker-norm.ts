// Per-speaker feature normalisation, measured before any training: the model normalises each feature bin
// with the mean and deviation of its training corpus; a speaker's own statistics, taken from their
// enrolment reading, are the cheapest adaptation there is (cepstral mean normalisation per speaker). Scores
// the voice's test clips greedily (the acoustic model alone) with the corpus's statistics, the speaker's
// mean, and the speaker's mean and deviation.
import { initBackend } from '../src-main/model/backend.js';
import type { FeatureStats } from '../src-main/model/acoustic.js';
import { loadModelFolder } from '../src-main/model/checkpoint.js';
import { loadCheckpointModel } from '../src-main/model/model-io.js';
import { evaluate } from '../src-main/training/evaluate.js';
import { evalItemsOf } from '../src-main/training/guard.js';
import { readLibriSpeech } from '../src-main/training/librispeech.js';
import { loadUtterances } from '../src-main/training/memory-features.js';
import { featureStats } from '../src-main/training/train.js';

export interface NormScore {
  /** 'corpus', 'speaker mean' or 'speaker mean and deviation'. */
  stats: string;
  /** Minutes of enrolment the speaker's statistics came from (0 for the corpus's). */
  minutes: number;
  wer: number;
  cer: number;
}

async function sources(dir: string) {
  return (await readLibriSpeech(dir)).utterances.map(({ id, speaker, audioPath, text }) => ({
    id,
    speaker,
    audioPath,
    text,
  }));
}

/** Greedy scores of `modelDir` on `testDir` with each choice of statistics, per enrolment folder. */
export async function speakerNormScores(
  modelDir: string,
  testDir: string,
  enrol: readonly { minutes: number; dir: string }[],
): Promise<NormScore[]> {
  await initBackend({ prefer: 'auto', wasmThreads: 2 });
  const folder = loadModelFolder(modelDir);
  const test = evalItemsOf((await loadUtterances(await sources(testDir), folder.features)).set);
  const score = (stats: FeatureStats) => {
    const model = loadCheckpointModel({ ...folder, stats });
    try {
      const r = evaluate(model, folder.alphabet, test);
      return { wer: r.wer, cer: r.cer };
    } finally {
      model.dispose();
    }
  };
  const out: NormScore[] = [{ stats: 'corpus', minutes: 0, ...score(folder.stats) }];
  for (const e of enrol) {
    const own = featureStats((await loadUtterances(await sources(e.dir), folder.features)).set);
    out.push({
      stats: 'speaker mean',
      minutes: e.minutes,
      ...score({ mean: own.mean, std: folder.stats.std }),
    });
    out.push({ stats: 'speaker mean and deviation', minutes: e.minutes, ...score(own) });
  }
  return out;
}
