import type { FrontEndKind } from '../speech/front-end.js';
import type { AcousticConfig } from '../model/config.js';
import { lookAheadMs, outputFrameMs } from '../model/config.js';

/** One evaluated set for the model card. */
export interface CardEval {
  name: string;
  description: string;
  utterances: number;
  wer: number;
  cer: number;
  speakers: CardSpeaker[];
  /** The same set decoded with the language model (beam search), when one was given; per voice too. */
  withLm?: { wer: number; cer: number; speakers?: CardSpeaker[] };
}

/** One voice's scores in a set. */
export interface CardSpeaker {
  speaker: string;
  utterances: number;
  wer: number;
  cer: number;
}

export interface CardInput {
  title: string;
  summary: string;
  acoustic: AcousticConfig;
  /** The model's input features (default log-mel). */
  frontEnd?: FrontEndKind;
  /** What the model writes (default letters); a phone model's words are spelt by its pronunciations.dict. */
  units?: 'letters' | 'phones';
  parameters: number;
  weightsBytes: number;
  /** Commands that reproduce the model, in order. */
  commands: string[];
  corpus: {
    description: string;
    hours?: number;
    utterances?: number;
    trainVoices?: number;
    heldOutVoices?: string[];
    licence?: string;
  };
  training: {
    steps: number;
    bestStep: number;
    backend: string;
    wallHours?: number;
    /** Blocks of the trained model this run grew from (`attune train --init … --blocks`), if any. */
    deepenedFrom?: number;
    /** Subsampling strides of the trained model this run started from, when it changed them. */
    restridedFrom?: [number, number];
    /** Channels of the trained model it was widened from (`attune reshape --channels`), if it was. */
    widenedFrom?: number;
    /**
     * What the run started from when it continued an earlier model (`attune train --init`), in words:
     * its data and steps, so the card accounts for everything the weights learned from.
     */
    continuedFrom?: string;
    /** The set that picked the best weights (default: the synthetic corpus's dev set). */
    devSet?: string;
  };
  /**
   * Real speech the model trained on or was measured on (`attune import`'s sources), each with its
   * credit and licence: the card is where a model's debts are paid.
   */
  realSpeech?: {
    name: string;
    credit: string;
    licence: string;
    trainMinutes: number;
    heldOutMinutes: number;
  }[];
  evals: CardEval[];
  /** The word language model the app decodes finals with, as the evaluations with it used it. */
  languageModel?: { name: string; words: number; order: number; beamWidth: number };
  /**
   * The word search's own settings recorded in the model folder (`attune decoding`), when it has them: the
   * evaluations with the language model used them.
   */
  decoding?: { priorScale: number; lmWeight: number; wordBonus: number; source: string };
  /** Names for speaker ids in the per-speaker tables (e.g. voice names). */
  speakerNames?: Record<string, string>;
  limitations: string[];
  /** Further Markdown sections (e.g. a results file's tables), placed before the limitations. */
  appendix?: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** How long it trained, and from what: a grown model's steps count from the step it was made deeper. */
function trainingSentence(c: CardInput): string {
  const t = c.training;
  const wall = t.wallHours ? ` (${t.wallHours.toFixed(1)} h)` : '';
  const changes: string[] = [];
  if (t.widenedFrom !== undefined)
    changes.push(`widened from ${t.widenedFrom} to ${c.acoustic.channels} channels, each channel copied`);
  if (t.deepenedFrom !== undefined) {
    const added = c.acoustic.blocks - t.deepenedFrom;
    changes.push(`${added} block${added === 1 ? '' : 's'} appended`);
  }
  if (t.restridedFrom !== undefined) {
    const fromMs = c.acoustic.hopMs * t.restridedFrom[0] * t.restridedFrom[1];
    changes.push(`its ${fromMs} ms output frames made ${outputFrameMs(c.acoustic)} ms`);
  }
  const was = [
    ...(t.widenedFrom !== undefined ? [`${t.widenedFrom}-channel`] : []),
    ...(t.deepenedFrom !== undefined ? [`${t.deepenedFrom}-block`] : []),
  ];
  const from = was.length > 0 ? `a trained ${was.join(', ')} model` : 'a trained model';
  const grew = t.deepenedFrom !== undefined || t.widenedFrom !== undefined;
  const grown =
    changes.length > 0
      ? `${grew ? 'Grown' : 'Started'} from ${from} (its weights kept, ${changes.join(', ')}; see the commands above), then trained`
      : t.continuedFrom
        ? `Continued from ${t.continuedFrom}, then trained`
        : 'Trained';
  return `${grown} for ${t.steps} steps on the ${t.backend} backend${wall}; the weights are those of step ${t.bestStep}, the best on ${t.devSet ?? 'the dev set'}.`;
}

/** What the model hears, in words: the feature kinds of front-end.ts. */
function inputDescription(kind: FrontEndKind, a: AcousticConfig): string {
  const phones = "pocketsphinx-en-us's phone posteriors (its context-independent senones' Gaussians)";
  if (kind === 'logmel') return `log-mel (${a.featureBins} bins, ${a.hopMs} ms hop)`;
  if (kind === 'phones') return `${phones}, ${a.featureBins} per ${a.hopMs} ms frame`;
  return `log-mel beside ${phones}, ${a.featureBins} values per ${a.hopMs} ms frame`;
}

/** The model a phones front end learns from: its input is that model's view of the audio. */
const SPHINX_CREDIT =
  "Real-speech knowledge: the phone posteriors come from Debian's `pocketsphinx-en-us` acoustic model " +
  '(CMU Sphinx US English, a continuous-density model trained on real read speech; BSD-2-Clause, ' +
  '© Alpha Cephei Inc. and Carnegie Mellon University). A copy travels with the model in `sphinx/`, ' +
  'its licence in `sphinx/README`.';

/** The pronouncing dictionary a phone model spells words with. */
const DICTIONARY_CREDIT =
  "Pronunciations: `pronunciations.dict` is CMUdict as Debian's `pocketsphinx-en-us` ships it " +
  '(cmudict-en-us.dict, 134,000 pronunciations of US English words; BSD-2-Clause, © 1995-2014 Carnegie ' +
  'Mellon University and 2014-2015 Alpha Cephei Inc., the licence text in `sphinx/README`). It spells the ' +
  "training transcripts in phones and the language model's words for decoding.";

/** The model's output, in words. */
function outputDescription(c: CardInput): string {
  const a = c.acoustic;
  return c.units === 'phones'
    ? `Streaming CTC phone model: ${inputDescription(c.frontEnd ?? 'logmel', a)} → 2 subsampling convolutions (strides ${a.subsampleStrides.join(', ')}) → ${a.blocks} depthwise-separable residual blocks (${a.channels} channels, kernel ${a.kernel}, layer norm) → ${a.vocabSize} classes (the 39 CMUdict phones, a word break and the blank).`
    : `Streaming CTC character model: ${inputDescription(c.frontEnd ?? 'logmel', a)} → 2 subsampling convolutions (strides ${a.subsampleStrides.join(', ')}) → ${a.blocks} depthwise-separable residual blocks (${a.channels} channels, kernel ${a.kernel}, layer norm) → ${a.vocabSize} classes.`;
}

/** The real-speech sources: what trained the model, what only measured it, and whose they are. */
function realSpeechLines(sources: NonNullable<CardInput['realSpeech']>): string[] {
  const trained = sources.reduce((m, s) => m + s.trainMinutes, 0);
  return [
    `Real speech (\`attune import\`, split by voice: no voice in the dev or test sets is trained on): ${(trained / 60).toFixed(1)} hours trained on.`,
    '',
    '| source | trained on (min) | dev + test only (min) | licence | credit |',
    '|---|---:|---:|---|---|',
    ...sources.map(
      (s) =>
        `| ${s.name} | ${s.trainMinutes.toFixed(1)} | ${s.heldOutMinutes.toFixed(1)} | ${s.licence} | ${s.credit} |`,
    ),
  ];
}

/** The class priors and weights of the word search, as the decoding bullet says them ('' without). */
function decodingSentence(c: CardInput): string {
  const d = c.decoding;
  if (!d) return '';
  return ` Each frame's class posteriors are divided by the classes' priors to the power ${d.priorScale} before the search, with language-model weight ${d.lmWeight} and word bonus ${d.wordBonus} (the priors are the model's mean posteriors, ${d.source}); they are recorded in \`config.json\` (\`decoding\`), and every table below that uses the language model used them.`;
}

interface ScoreRow {
  name: string;
  greedy: { utterances: number; wer: number; cer: number };
  withLm?: { wer: number; cer: number };
}

/** A table of scores, greedy and (when a language model scored the sets) with the language model. */
function scoreTable(c: CardInput, what: string, rows: ScoreRow[]): string[] {
  if (!c.languageModel)
    return [
      `| ${what} | utterances | WER | CER |`,
      '|---|---:|---:|---:|',
      ...rows.map(
        (r) => `| ${r.name} | ${r.greedy.utterances} | ${pct(r.greedy.wer)} | ${pct(r.greedy.cer)} |`,
      ),
    ];
  const lmCell = (x: number | undefined) => (x === undefined ? '–' : pct(x));
  return [
    c.units === 'phones'
      ? `| ${what} | utterances | pronunciations wrong (greedy) | PER (greedy) | WER with the LM | CER with the LM |`
      : `| ${what} | utterances | WER | CER | WER with the LM | CER with the LM |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.greedy.utterances} | ${pct(r.greedy.wer)} | ${pct(r.greedy.cer)} | ${lmCell(r.withLm?.wer)} | ${lmCell(r.withLm?.cer)} |`,
    ),
  ];
}

/** How a user puts another base model in this one's place (every card says it). */
const REPLACING = `## Replacing the base model

Attune's base model is a model folder (\`models/base\`), and any Attune model folder can take its place: one
trained with \`attune train\`, or one trained on large corpora and GPUs with the PyTorch recipe
(\`recipes/torch/\`; the README's "Train a base model at scale"), whose folders Attune loads unchanged.
Replace \`models/base\` with the new folder (or pass \`--model DIR\` to any command); personal fine-tuning
then starts from it.`;

/** Renders MODEL_CARD.md: what the model is, how to remake it, and how well it does where. */
export function renderModelCard(c: CardInput): string {
  const a = c.acoustic;
  const lines: string[] = [
    `# ${c.title}`,
    '',
    c.summary,
    '',
    '## Model',
    '',
    `- ${outputDescription(c)}`,
    `- ${c.parameters.toLocaleString('en')} parameters, ${(c.weightsBytes / 1e6).toFixed(1)} MB of float32 weights (safetensors).`,
    `- Output frame ${outputFrameMs(a)} ms; look-ahead ${lookAheadMs(a)} ms (the only delay the model adds when streaming).`,
    c.units === 'phones' && c.languageModel
      ? `- Decoding: a CTC prefix beam search (width ${c.languageModel.beamWidth}) over the pronunciations of the word language model \`${c.languageModel.name}\`'s words (${c.languageModel.words.toLocaleString('en')} words, ${c.languageModel.order}-grams; its source and licence in \`models/lm/\`), for live partials and finals alike; words that sound alike are told apart by the language model.${decodingSentence(c)} Greedy decoding writes phones: its columns in the accuracy tables are the phone error rate (PER) and the share of words whose pronunciation is wrong.`
      : c.languageModel
        ? `- Decoding: greedy for live partials; finals with a CTC prefix beam search (width ${c.languageModel.beamWidth}) and the word language model \`${c.languageModel.name}\` (${c.languageModel.words.toLocaleString('en')} words, ${c.languageModel.order}-grams; its source and licence in \`models/lm/\`).${decodingSentence(c)} The accuracy tables give both.`
        : '- Greedy decoding, no language model.',
    '',
    '## Training data',
    '',
    c.corpus.description,
    '',
  ];
  if (c.corpus.hours !== undefined)
    lines.push(`- ${c.corpus.hours.toFixed(1)} hours, ${c.corpus.utterances ?? '?'} utterances.`);
  if (c.corpus.trainVoices) lines.push(`- ${c.corpus.trainVoices} training voices.`);
  if (c.corpus.heldOutVoices?.length)
    lines.push(`- Held-out voices (the test-unseen set): ${c.corpus.heldOutVoices.join(', ')}.`);
  if (c.corpus.licence) lines.push(`- Text licence: ${c.corpus.licence}`);
  if (c.realSpeech?.length) lines.push('', ...realSpeechLines(c.realSpeech));
  if ((c.frontEnd ?? 'logmel') !== 'logmel') lines.push('', SPHINX_CREDIT);
  if (c.units === 'phones') lines.push('', DICTIONARY_CREDIT);
  lines.push(
    '',
    '## How it was made',
    '',
    '```sh',
    ...c.commands,
    '```',
    '',
    trainingSentence(c),
    '',
    '## Accuracy',
    '',
    ...scoreTable(
      c,
      'set',
      c.evals.map((e) => ({ name: `${e.name} — ${e.description}`, greedy: e, withLm: e.withLm })),
    ),
    '',
  );
  for (const e of c.evals) {
    if (e.speakers.length <= 1) continue;
    const lm = new Map((e.withLm?.speakers ?? []).map((s) => [s.speaker, s]));
    const rows = e.speakers.map((s) => {
      const name = c.speakerNames?.[s.speaker];
      return { name: name ? `${name} (${s.speaker})` : s.speaker, greedy: s, withLm: lm.get(s.speaker) };
    });
    lines.push(`### ${e.name} by voice`, '', ...scoreTable(c, 'voice', rows), '');
  }
  for (const section of c.appendix ?? []) lines.push(section.trim(), '');
  lines.push(REPLACING, '');
  lines.push('## Limitations', '', ...c.limitations.map((l) => `- ${l}`), '');
  return lines.join('\n');
}
