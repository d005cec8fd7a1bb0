import { describe, expect, it } from 'vitest';
import { resolveCorpusConfig } from '../../../src-main/training/corpus/config.js';
import { assignVoiceRoles } from '../../../src-main/training/corpus/plan.js';
import {
  detectInstalled,
  matchesPattern,
  voiceInventory,
  type Installed,
} from '../../../src-main/training/corpus/voices.js';

const FULL: Installed = {
  flite: ['kal', 'awb_time', 'kal16', 'awb', 'rms', 'slt'],
  festival: ['cmu_us_slt_arctic_hts', 'ked_diphone', 'kal_diphone'],
  espeakAccents: ['en-gb', 'en-us', 'en-gb-scotland', 'en-us-nyc'],
  espeakVariants: ['m3', 'f2', 'klatt', 'whisper'],
};

describe('voice inventory', () => {
  it('gives every voice a unique speaker id that does not depend on what else is installed', () => {
    const full = voiceInventory(FULL);
    expect(new Set(full.map((v) => v.speaker)).size).toBe(full.length);
    expect(new Set(full.map((v) => v.name)).size).toBe(full.length);
    const fewer = voiceInventory({
      flite: ['slt'],
      festival: [],
      espeakAccents: ['en-us-nyc'],
      espeakVariants: ['f2'],
    });
    const idOf = new Map(full.map((v) => [v.name, v.speaker]));
    expect(fewer.length).toBeGreaterThan(0);
    for (const v of fewer) expect(v.speaker).toBe(idOf.get(v.name));
    // Uncatalogued voices (limited-domain awb_time, 8 kHz kal, whisper) are not used.
    expect(full.map((v) => v.name)).not.toContain('flite-awb_time');
    expect(full.map((v) => v.name)).not.toContain('espeak-en-us+whisper');
    expect(full.map((v) => v.name)).toContain('espeak-en-us+m3');
  });

  it('finds the voices installed on this machine', async () => {
    const voices = voiceInventory(await detectInstalled());
    const engines = new Set(voices.map((v) => v.engine));
    expect([...engines].sort()).toEqual(['espeak', 'festival', 'flite']);
    expect(voices.map((v) => v.name)).toContain('flite-slt');
  });

  it('matches name patterns with * wildcards', () => {
    expect(matchesPattern('espeak-en-us-nyc+f2', 'espeak-en-us-nyc*')).toBe(true);
    expect(matchesPattern('espeak-en-us+f2', 'espeak-en-us-nyc*')).toBe(false);
    expect(matchesPattern('flite-rms', 'flite-rms')).toBe(true);
    expect(matchesPattern('flite-rmsx', 'flite-rms')).toBe(false);
    expect(matchesPattern('festival-kal_diphone', '*kal*')).toBe(true);
  });

  it('splits the default selection into training and held-out voices, with both engine families held out', () => {
    const roles = assignVoiceRoles(voiceInventory(FULL), resolveCorpusConfig({ outDir: 'x' }));
    expect(roles.heldOut.map((v) => v.name)).toContain('flite-rms');
    expect(roles.heldOut.some((v) => v.engine === 'espeak')).toBe(true);
    expect(roles.train.some((v) => v.name === 'flite-rms' || v.name.startsWith('espeak-en-us-nyc'))).toBe(
      false,
    );
    expect(() =>
      assignVoiceRoles(voiceInventory(FULL), resolveCorpusConfig({ outDir: 'x', heldOutVoices: ['nope'] })),
    ).toThrow(/held-out voices/);
  });
});
