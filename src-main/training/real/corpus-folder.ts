import { readLibriSpeech } from '../librispeech.js';
import type { RealClip } from './clip.js';

/**
 * A real-speech set that already comes in LibriSpeech layout (VCTK's p239, the Free Spoken Digit
 * Dataset): its utterances become clips whose audio files the importer converts as they are.
 * `speakerOf` maps a corpus speaker id to the label the split rules use.
 */
export async function* readCorpusFolder(
  dir: string,
  speakerOf: (speaker: string) => string = (s) => s,
): AsyncGenerator<RealClip> {
  const corpus = await readLibriSpeech(dir);
  for (const u of corpus.utterances) {
    yield {
      id: u.id.replace(/[^a-zA-Z0-9]/g, '').toLowerCase(),
      speaker: speakerOf(u.speaker),
      text: u.text,
      audio: { kind: 'file', path: u.audioPath },
    };
  }
}
