import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Capture } from '../../engine/capture.js';
import { EngineClient } from '../../engine/engine-client.js';
import { Postprocessor } from '../../engine/postprocess.js';
import { isModelFolder } from '../../model/checkpoint.js';
import { addLmOptions, languageModelPath, type LmOption } from './lm-option.js';
import { BASE_MODEL_DIR } from './model-option.js';
import { positiveOption } from './options.js';

interface DictateOptions {
  device: string;
  seconds?: string;
  model?: string;
  backend: string;
  json?: boolean;
  raw?: boolean;
  lm: LmOption;
}

/**
 * Dictation in the terminal: microphone → engine process → text. Partial text is redrawn in place
 * on a terminal; with --json every partial and final is one JSON line. Ends after --seconds, or on
 * Ctrl-C, after the last phrase has been finalised.
 */
export function registerDictate(program: Command): void {
  const command = program
    .command('dictate')
    .description('dictate from the microphone in the terminal')
    .option('--device <name>', 'capture device (see `arecord -L`)', 'default')
    .option('--seconds <s>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--model <dir>', 'model folder (default: the shipped base model)')
    .option(
      '--backend <name>',
      'compute backend: auto, webgpu (recognition on the GPU), gpu, node, wasm, cpu',
      'auto',
    )
    .option('--raw', 'print the model’s words without punctuation commands or capitals')
    .option('--json', 'one JSON object per line: {"type":"partial"|"final","text",…,"startMs","endMs"}');
  // Finals as the app writes them: with the shipped language model unless --no-lm.
  addLmOptions(command, true, false).action(async (o: DictateOptions) => {
    const modelDir = o.model ? resolve(o.model) : BASE_MODEL_DIR;
    if (!isModelFolder(modelDir))
      throw new Error(`no model at ${modelDir} (train one with \`attune train\`, or pass --model)`);
    const seconds = o.seconds === undefined ? undefined : positiveOption(String(o.seconds), 'seconds');

    const engine = await EngineClient.start({
      modelDir,
      backend: o.backend,
      languageModel: languageModelPath(o.lm, true),
    });
    if (engine.ready?.languageModelError)
      process.stderr.write(
        `attune: warning: ${engine.ready.languageModelError}; finals without a language model\n`,
      );
    const post = new Postprocessor();
    const out = (line: unknown) => process.stdout.write(JSON.stringify(line) + '\n');
    const tty = !o.json && process.stdout.isTTY;
    let shown = '';
    engine.on('partial', (p) => {
      if (o.json) out({ type: 'partial', text: p.text, startMs: p.startMs, endMs: null });
      else if (tty) {
        shown = p.text;
        process.stdout.write(`\r\x1b[2K… ${shown}`);
      }
    });
    engine.on('final', (f) => {
      const display = o.raw ? f.text : post.push(f.text).segment.text;
      if (o.json)
        out({
          type: 'final',
          text: display,
          raw: f.text,
          startMs: f.startMs,
          endMs: f.endMs,
          words: f.words,
        });
      else process.stdout.write(`${tty ? '\r\x1b[2K' : ''}${display}\n`);
      shown = '';
    });
    engine.on('error', (e) => process.stderr.write(`attune: engine: ${e.message}\n`));

    const capture = new Capture({ device: o.device });
    capture.on('data', (samples) => engine.sendAudio(samples));
    capture.on('warning', (w) => process.stderr.write(`attune: ${JSON.stringify(w)}\n`));
    capture.on('error', (e) => process.stderr.write(`attune: microphone: ${e.message}\n`));
    await capture.start();
    if (!o.json)
      process.stderr.write(
        `listening on ${o.device}${seconds ? ` for ${seconds} s` : ' (Ctrl-C to stop)'}\n`,
      );

    await new Promise<void>((done) => {
      const timer = seconds ? setTimeout(done, seconds * 1000) : undefined;
      const stop = () => {
        if (timer) clearTimeout(timer);
        done();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      capture.once('stopped', stop);
    });
    await capture.stop();
    await engine.finish();
    engine.close();
    if (tty && shown) process.stdout.write('\n');
    const stats = capture.stats();
    if (o.json)
      out({
        type: 'stats',
        audioSeconds: stats.seconds,
        restarts: stats.restarts,
        overruns: stats.overruns,
      });
  });
}
