import { describe, expect, it } from 'vitest';
import { DEFAULT_ACOUSTIC } from '../../src-main/model/config.js';
import { type CardInput, renderModelCard } from '../../src-main/training/model-card.js';

describe('renderModelCard', () => {
  const input: CardInput = {
    title: 'Test model',
    summary: 'A model for the test.',
    acoustic: DEFAULT_ACOUSTIC,
    parameters: 959_517,
    weightsBytes: 959_517 * 4,
    commands: ['attune corpus --out c --hours 1 --seed 1', 'attune train --corpus c'],
    corpus: {
      description: 'Synthetic.',
      hours: 24.63,
      utterances: 30868,
      trainVoices: 111,
      heldOutVoices: ['flite-rms'],
    },
    training: { steps: 3000, bestStep: 2500, backend: 'wasm' },
    evals: [
      {
        name: 'test-unseen',
        description: 'held-out voices',
        utterances: 2,
        wer: 0.125,
        cer: 0.05,
        speakers: [
          { speaker: '103', utterances: 1, wer: 0.25, cer: 0.1 },
          { speaker: '3700', utterances: 1, wer: 0, cer: 0 },
        ],
      },
    ],
    speakerNames: { '103': 'flite-rms' },
    limitations: ['Synthetic voices only.'],
  };
  const card = renderModelCard(input);

  it('records how to remake the model and what it is', () => {
    expect(card).toContain('attune train --corpus c');
    expect(card).toContain('959,517 parameters, 3.8 MB');
    expect(card).toContain('Output frame 20 ms; look-ahead 150 ms');
    expect(card).toContain('2 subsampling convolutions (strides 2, 1)');
    expect(card).toContain('24.6 hours, 30868 utterances');
    expect(card).toContain('Held-out voices (the test-unseen set): flite-rms.');
    expect(card).toContain('Trained for 3000 steps on the wasm backend; the weights are those of step 2500');
  });

  it('says when the model was grown from a shallower one, and by how many blocks', () => {
    const grown = renderModelCard({
      ...input,
      acoustic: { ...DEFAULT_ACOUSTIC, blocks: 16 },
      training: { ...input.training, deepenedFrom: 12 },
    });
    expect(grown).toContain('16 depthwise-separable residual blocks');
    expect(grown).toContain(
      'Grown from a trained 12-block model (its weights kept, 4 blocks appended; see the commands above), then trained for 3000 steps',
    );
  });

  it('says when the model was grown from a narrower one', () => {
    const wide = renderModelCard({
      ...input,
      acoustic: { ...DEFAULT_ACOUSTIC, channels: 384, blocks: 24 },
      training: { ...input.training, widenedFrom: 192, deepenedFrom: 16 },
    });
    expect(wide).toContain('24 depthwise-separable residual blocks (384 channels');
    expect(wide).toContain(
      'Grown from a trained 192-channel, 16-block model (its weights kept, widened from 192 to 384 channels, each channel copied, 8 blocks appended; see the commands above), then trained for 3000 steps',
    );
  });

  it('says when the model started from one at another frame rate', () => {
    const restrided = renderModelCard({
      ...input,
      acoustic: { ...DEFAULT_ACOUSTIC, subsampleStrides: [3, 1] },
      training: { ...input.training, restridedFrom: [2, 1] },
    });
    expect(restrided).toContain(
      'Started from a trained model (its weights kept, its 20 ms output frames made 30 ms; see the commands above), then trained for 3000 steps',
    );
    const both = renderModelCard({
      ...input,
      acoustic: { ...DEFAULT_ACOUSTIC, blocks: 16, subsampleStrides: [3, 1] },
      training: { ...input.training, deepenedFrom: 12, restridedFrom: [2, 1] },
    });
    expect(both).toContain(
      'Grown from a trained 12-block model (its weights kept, 4 blocks appended, its 20 ms output frames made 30 ms;',
    );
  });

  it('credits every real-speech source with its licence, and says what trained the model and what only measured it', () => {
    const card = renderModelCard({
      ...input,
      realSpeech: [
        {
          name: 'allison',
          credit: 'Allison Smith',
          licence: 'CC-BY-SA-3.0',
          trainMinutes: 0,
          heldOutMinutes: 20.6,
        },
        {
          name: 'queen',
          credit: 'Flight of the Amazon Queen',
          licence: 'freeware',
          trainMinutes: 226.9,
          heldOutMinutes: 39.1,
        },
      ],
    });
    expect(card).toContain('3.8 hours trained on');
    expect(card).toContain('| allison | 0.0 | 20.6 | CC-BY-SA-3.0 | Allison Smith |');
    expect(card).toContain('| queen | 226.9 | 39.1 | freeware | Flight of the Amazon Queen |');
    expect(renderModelCard(input)).not.toContain('Real speech');
  });

  it('credits the pocketsphinx model whose phone posteriors a phones model hears, and only then', () => {
    const phones = renderModelCard({ ...input, frontEnd: 'logmel+phones' });
    expect(phones).toContain('log-mel beside pocketsphinx-en-us');
    expect(phones).toMatch(
      /`pocketsphinx-en-us` acoustic model .*BSD-2-Clause, © Alpha Cephei Inc\. and Carnegie Mellon University/,
    );
    expect(card).not.toContain('Alpha Cephei');
  });

  it('says what a continued model started from and which set picked its weights', () => {
    const continued = renderModelCard({
      ...input,
      training: {
        ...input.training,
        continuedFrom: 'the previous base model (7,004 steps on 24.6 h of synthetic speech)',
        devSet: 'real-dev',
      },
    });
    expect(continued).toContain(
      'Continued from the previous base model (7,004 steps on 24.6 h of synthetic speech), then trained for 3000 steps on the wasm backend; the weights are those of step 2500, the best on real-dev.',
    );
    expect(card).toContain('step 2500, the best on the dev set.');
  });

  it('says how to put another base model in its place, pointing at the PyTorch recipe', () => {
    const section = card.slice(card.indexOf('## Replacing the base model'), card.indexOf('## Limitations'));
    expect(section).toContain('models/base');
    expect(section).toContain('recipes/torch/');
    expect(section).toContain('--model DIR');
  });

  it('adds appendix sections before the limitations', () => {
    const withAppendix = renderModelCard({
      ...input,
      appendix: ['## Which recipe\n\n| arm | CER |\n|---|---:|\n| a | 60% |\n'],
    });
    const at = withAppendix.indexOf('## Which recipe');
    expect(at).toBeGreaterThan(withAppendix.indexOf('## Accuracy'));
    expect(at).toBeLessThan(withAppendix.indexOf('## Limitations'));
    expect(withAppendix).toContain('| a | 60% |');
  });

  it('tabulates accuracy overall and per voice', () => {
    expect(card).toContain('| test-unseen — held-out voices | 2 | 12.5% | 5.0% |');
    expect(card).toContain('| flite-rms (103) | 1 | 25.0% | 10.0% |');
    expect(card).toContain('| 3700 | 1 | 0.0% | 0.0% |');
  });

  it('gives both decodings when the sets were also scored with the language model', () => {
    const withLm = renderModelCard({
      ...input,
      evals: [{ ...input.evals[0], withLm: { wer: 0.0625, cer: 0.025 } }],
      languageModel: { name: 'en-us.lm.bin', words: 72_547, order: 3, beamWidth: 32 },
    });
    expect(withLm).toContain(
      'finals with a CTC prefix beam search (width 32) and the word language model `en-us.lm.bin` (72,547 words, 3-grams; its source and licence in `models/lm/`)',
    );
    expect(withLm).toContain('| set | utterances | WER | CER | WER with the LM | CER with the LM |');
    expect(withLm).toContain('| test-unseen — held-out voices | 2 | 12.5% | 5.0% | 6.3% | 2.5% |');
    expect(card).toContain('- Greedy decoding, no language model.');
  });

  it('gives each voice the same columns as the sets, and names the class priors the search used', () => {
    const speakers = [
      { speaker: '103', utterances: 1, wer: 0.125, cer: 0.05 },
      { speaker: '3700', utterances: 1, wer: 0, cer: 0 },
    ];
    const withLm = renderModelCard({
      ...input,
      units: 'phones',
      evals: [{ ...input.evals[0], withLm: { wer: 0.0625, cer: 0.025, speakers } }],
      languageModel: { name: 'en-us.lm.bin', words: 72_547, order: 3, beamWidth: 128 },
      decoding: {
        priorScale: 0.4,
        lmWeight: 1.2,
        wordBonus: 0,
        source: 'priors over 9 frames of 2 utterances',
      },
    });
    expect(withLm).toContain(
      "divided by the classes' priors to the power 0.4 before the search, with language-model weight 1.2 and word bonus 0 (the priors are the model's mean posteriors, priors over 9 frames of 2 utterances)",
    );
    const byVoice = withLm.slice(withLm.indexOf('### test-unseen by voice'));
    expect(byVoice).toContain(
      '| voice | utterances | pronunciations wrong (greedy) | PER (greedy) | WER with the LM | CER with the LM |',
    );
    expect(byVoice).toContain('| flite-rms (103) | 1 | 25.0% | 10.0% | 12.5% | 5.0% |');
    expect(byVoice).toContain('| 3700 | 1 | 0.0% | 0.0% | 0.0% | 0.0% |');
    expect(
      renderModelCard({ ...input, languageModel: { name: 'x', words: 1, order: 1, beamWidth: 1 } }),
    ).not.toContain('priors');
  });
});
