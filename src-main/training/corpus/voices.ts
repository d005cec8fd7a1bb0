import { tryRun } from './run.js';

export type Engine = 'flite' | 'festival' | 'espeak';
export const ENGINES: readonly Engine[] = ['flite', 'festival', 'espeak'];

/** One synthetic speaker: an engine, one of its voices and (for espeak-ng) a voice variant. */
export interface Voice {
  /** Stable name used in configs and manifests: `flite-slt`, `festival-kal_diphone`, `espeak-en-us+m3`. */
  name: string;
  /** LibriSpeech speaker id: fixed per voice name, whatever else is installed. */
  speaker: number;
  engine: Engine;
  /** The engine's own name for the voice (`slt`, `kal_diphone`, `en-us+m3`). */
  engineVoice: string;
}

// Speaker ids are fixed in these tables so that a corpus made on another machine, with other
// voices installed, still names the same voice with the same id. flite 1xx, festival 2xx,
// espeak-ng 3000 + 100 × accent + variant.
const FLITE_VOICES: Readonly<Record<string, number>> = {
  kal16: 101, // US male (diphone)
  awb: 102, // Scottish male (clustergen)
  rms: 103, // US male (clustergen)
  slt: 104, // US female (clustergen)
};
const FESTIVAL_VOICES: Readonly<Record<string, number>> = {
  kal_diphone: 201, // US male (diphone)
  ked_diphone: 202, // US male (diphone)
  cmu_us_slt_arctic_hts: 203, // US female (HTS)
  rab_diphone: 204, // British male (diphone)
  don_diphone: 205, // British male (diphone)
  cmu_us_awb_cg: 206,
  cmu_us_rms_cg: 207,
};
/** espeak-ng's English accents, in id order (append only: the index is part of the speaker id). */
export const ESPEAK_ACCENTS: readonly string[] = [
  'en-us',
  'en-gb',
  'en-gb-scotland',
  'en-gb-x-rp',
  'en-gb-x-gbclan',
  'en-gb-x-gbcwmd',
  'en-029',
  'en-us-nyc',
];
/** espeak-ng voice variants (formant sets), in id order (append only); '' is the accent's own default. */
export const ESPEAK_VARIANTS: readonly string[] = [
  '',
  ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'],
  ...['f1', 'f2', 'f3', 'f4', 'f5'],
  // The Klatt formant synthesiser: a differently built voice, not just other formant settings.
  ...['klatt', 'klatt3'],
];

/** The voice name for an espeak-ng accent and variant. */
export function espeakVoiceName(accent: string, variant: string): string {
  return `espeak-${accent}${variant ? `+${variant}` : ''}`;
}

/** What is installed, found by asking each engine. */
export interface Installed {
  flite: string[];
  festival: string[];
  espeakAccents: string[];
  espeakVariants: string[];
}

/** Asks each engine which voices it has; a missing engine simply has none. */
export async function detectInstalled(): Promise<Installed> {
  const [flite, festival, accents, variants] = await Promise.all([
    tryRun('flite', ['-lv']),
    tryRun('festival', ['-b', '(print (voice.list))']),
    tryRun('espeak-ng', ['--voices=en']),
    tryRun('espeak-ng', ['--voices=variant']),
  ]);
  return {
    // "Voices available: kal awb_time kal16 awb rms slt"
    flite: (flite?.stdout.toString().split(':')[1] ?? '').trim().split(/\s+/).filter(Boolean),
    // "(cmu_us_slt_arctic_hts ked_diphone kal_diphone)"
    festival: (festival?.stdout.toString().match(/\(([^)]*)\)/)?.[1] ?? '')
      .trim()
      .split(/\s+/)
      .filter(Boolean),
    // Rows "Pty Language Age/Gender VoiceName File ...": only espeak-ng's own formant voices (gmw/);
    // mb/ voices need the separate, non-free MBROLA synthesiser.
    espeakAccents: tableColumn(accents?.stdout.toString() ?? '', (cols) =>
      cols[4]?.startsWith('gmw/') ? cols[1] : null,
    ),
    espeakVariants: tableColumn(variants?.stdout.toString() ?? '', (cols) =>
      cols[4]?.startsWith('!v/') ? cols[4].slice(3) : null,
    ),
  };
}

function tableColumn(text: string, pick: (cols: string[]) => string | null): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const value = pick(line.trim().split(/\s+/));
    if (value !== null && !out.includes(value)) out.push(value);
  }
  return out;
}

/** Every catalogued voice that is installed, in speaker-id order. */
export function voiceInventory(installed: Installed): Voice[] {
  const voices: Voice[] = [];
  for (const [v, speaker] of Object.entries(FLITE_VOICES)) {
    if (installed.flite.includes(v)) {
      voices.push({ name: `flite-${v}`, speaker, engine: 'flite', engineVoice: v });
    }
  }
  for (const [v, speaker] of Object.entries(FESTIVAL_VOICES)) {
    if (installed.festival.includes(v)) {
      voices.push({ name: `festival-${v}`, speaker, engine: 'festival', engineVoice: v });
    }
  }
  ESPEAK_ACCENTS.forEach((accent, a) => {
    if (!installed.espeakAccents.includes(accent)) return;
    ESPEAK_VARIANTS.forEach((variant, v) => {
      if (variant !== '' && !installed.espeakVariants.includes(variant)) return;
      voices.push({
        name: espeakVoiceName(accent, variant),
        speaker: 3000 + 100 * a + v,
        engine: 'espeak',
        engineVoice: variant ? `${accent}+${variant}` : accent,
      });
    });
  });
  return voices.sort((x, y) => x.speaker - y.speaker);
}

/** Does `name` match a pattern where `*` stands for any run of characters? */
export function matchesPattern(name: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$');
  return re.test(name);
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesPattern(name, p));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
