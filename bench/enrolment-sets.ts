// The enrolment benchmark's data: for one real voice, a seeded split of its clips into a test set that is
// never enrolled and an enrolment pool, and from the pool the first clips up to each length of reading
// (1, 3, 5, 10 minutes): each a LibriSpeech-layout folder that `attune finetune` and `attune eval` read.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readAudio } from '../src-main/speech/audio.js';
import { readLibriSpeech, type LibriSpeechUtterance } from '../src-main/training/librispeech.js';
import { rngFor, shuffled } from '../src-main/training/corpus/random.js';

export interface EnrolmentVoice {
  /** Shown in the results. */
  name: string;
  /** LibriSpeech-layout folder holding this voice alone (e.g. corpora/real/real-dev/vctk). */
  dir: string;
}

export interface VoiceSets {
  voice: EnrolmentVoice;
  /** Folder of the clips never enrolled. */
  testDir: string;
  testClips: number;
  /** Enrolment folders by minutes asked for; a length the pool cannot fill is left out. */
  enrol: { minutes: number; dir: string; clips: number; seconds: number }[];
  /** Speech in the whole enrolment pool, s. */
  poolSeconds: number;
}

interface Clip extends LibriSpeechUtterance {
  seconds: number;
}

/** Writes a LibriSpeech-layout folder of copies of the clips (one speaker, one chapter). */
function writeFolder(dir: string, clips: readonly Clip[]): void {
  const chapter = join(dir, '1', '1');
  mkdirSync(chapter, { recursive: true });
  for (const c of clips) copyFileSync(c.audioPath, join(chapter, `1-1-${c.id}${extension(c.audioPath)}`));
  const lines = clips.map((c) => `1-1-${c.id} ${c.text}`);
  writeFileSync(join(chapter, '1-1.trans.txt'), lines.join('\n') + '\n');
}

const extension = (path: string) => basename(path).slice(basename(path).lastIndexOf('.'));

/**
 * Splits one voice's clips (seeded) into `testClips` never enrolled and an enrolment pool, then writes the
 * test folder and one folder per length: the pool's first clips until their speech reaches that length.
 */
export async function makeVoiceSets(
  voice: EnrolmentVoice,
  outDir: string,
  minutes: readonly number[],
  testClips: number,
  seed: number,
): Promise<VoiceSets> {
  const corpus = await readLibriSpeech(voice.dir);
  if (corpus.utterances.length <= testClips)
    throw new Error(`${voice.dir}: ${corpus.utterances.length} clips, more than ${testClips} are needed`);
  const order = shuffled(corpus.utterances, rngFor(seed, `enrolment:${voice.name}`));
  const clips: Clip[] = [];
  for (const u of order) {
    const audio = await readAudio(u.audioPath);
    // Ids are made unique across speakers of the source (a voice folder may hold several chapters).
    clips.push({ ...u, id: u.id.replace(/[^A-Za-z0-9]/g, ''), seconds: audio.durationSec });
  }
  rmSync(outDir, { recursive: true, force: true });
  const test = clips.slice(0, testClips);
  const pool = clips.slice(testClips);
  const testDir = join(outDir, 'test');
  writeFolder(testDir, test);
  const enrol: VoiceSets['enrol'] = [];
  const poolSeconds = pool.reduce((s, c) => s + c.seconds, 0);
  for (const m of minutes) {
    if (poolSeconds < m * 60) continue;
    let seconds = 0;
    let n = 0;
    while (seconds < m * 60) seconds += pool[n++].seconds;
    const dir = join(outDir, `enrol-${m}min`);
    writeFolder(dir, pool.slice(0, n));
    enrol.push({ minutes: m, dir, clips: n, seconds });
  }
  return { voice, testDir, testClips: test.length, enrol, poolSeconds };
}
