// Run by transcribe-file.test.ts (npx tsx test/engine/transcribe-memory-child.ts <file> <streamed|whole>):
// transcribes one file with the shipped model, greedy, and prints its duration and the process's peak RSS.
// A process per measurement, so each peak is that transcription's alone.
import { transcribeFile } from '../../src-main/engine/transcribe-file.js';
import { initBackend } from '../../src-main/model/backend.js';
import { loadModel } from '../../src-main/model/model-io.js';
import { BASE_MODEL_DIR } from '../../src-main/model/paths.js';
import { transcribeWhole } from './whole-file.js';

const [file, mode] = process.argv.slice(2);
await initBackend({ prefer: 'wasm' });
const m = loadModel(BASE_MODEL_DIR);
const greedy = { lm: null, beamWidth: 1 };
// Small chunks and pieces, so a file of a few minutes holds many of each.
const config = { chunkSec: 2, pieces: { minPieceSec: 5, maxPieceSec: 15, pauseMs: 300 } };
const t =
  mode === 'whole' ? await transcribeWhole(file, m, greedy) : await transcribeFile(file, m, greedy, config);
const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
process.stdout.write(JSON.stringify({ durationSec: t.durationSec, words: t.words.length, peakRssMb }) + '\n');
