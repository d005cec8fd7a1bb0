// From the recogniser's words (lowercase, unpunctuated) to display text: spoken punctuation and commands,
// capitalisation and spacing, applied segment by segment as the recogniser commits them.
//
// The document is a list of tokens (words, punctuation marks, line breaks, quotes), each remembering the raw
// words that produced it. Tokens are only ever appended, or removed from the end by "scratch that", so each
// token's capitalisation and the space before it are decided once, from the tokens before it.
//
// "scratch that" removes the current phrase. Phrases are delimited by boundaries:
//   - the start of each segment (an utterance between pauses),
//   - every token a command produced (punctuation, new line/paragraph, quotes) — it ends its phrase,
//   - every "scratch that".
// The current phrase is the run of tokens since the last boundary. When it is empty ("scratch that" said first
// in a segment, right after a punctuation command, or again after another "scratch that"), the phrase before
// it is removed instead, with the command token that ended it. So, within one segment,
// "hello comma i went home scratch that" → "Hello,"; and "i went home period", then a new segment
// "scratch that", removes "I went home." entirely. Commands are recognised within a segment only (a
// "question" ending one segment and "mark" starting the next stay words), and anywhere in it: dictating the
// words themselves ("scratch that itch") needs the rule turned off.

/** Every rule can be turned off on its own; a command whose rule is off stays in the text as words. */
export type RuleName =
  | 'capitalizeSentences' // first word of the document and of each sentence (after . ? ! and line breaks)
  | 'capitalizeI' // the pronoun: i, i'm, i've, i'll, i'd → I, I'm, I've, I'll, I'd
  | 'comma' // "comma" → ,
  | 'period' // "period" → .
  | 'fullStop' // "full stop" → .
  | 'questionMark' // "question mark" → ?
  | 'exclamationMark' // "exclamation mark" / "exclamation point" → !
  | 'colon' // "colon" → :
  | 'semicolon' // "semicolon" / "semi colon" → ;
  | 'newLine' // "new line" → line break
  | 'newParagraph' // "new paragraph" → blank line
  | 'quotes' // "open quote" / "close quote" → "
  | 'scratchThat'; // "scratch that" → remove the current phrase (see above)

export interface PostprocessConfig {
  rules: Record<RuleName, boolean>;
}

export const DEFAULT_POSTPROCESS_CONFIG: Readonly<PostprocessConfig> = Object.freeze({
  rules: Object.freeze({
    capitalizeSentences: true,
    capitalizeI: true,
    comma: true,
    period: true,
    fullStop: true,
    questionMark: true,
    exclamationMark: true,
    colon: true,
    semicolon: true,
    newLine: true,
    newParagraph: true,
    quotes: true,
    scratchThat: true,
  }),
});

export type TokenKind = 'word' | 'punctuation' | 'lineBreak' | 'openQuote' | 'closeQuote';

/** One display token of a segment and the raw words that produced it. */
export interface DisplayToken {
  text: string;
  kind: TokenKind;
  /** Raw words [start, end) of the segment that produced this token (one word, or a command's words). */
  words: [start: number, end: number];
  /** Characters [start, end) of this token in the segment's display text. */
  chars: [start: number, end: number];
  /** The command that produced it; undefined for dictated words. */
  rule?: RuleName;
}

/** A command recognised in a segment, including those that produced no token ("scratch that"). */
export interface RecognisedCommand {
  rule: RuleName;
  words: [start: number, end: number];
}

export interface SegmentDisplay {
  /** 0 for the first segment pushed. */
  index: number;
  /** The raw words, as pushed. */
  words: readonly string[];
  /** Display text of this segment's tokens still in the document. */
  text: string;
  /** What separates it from the document text before it ('', ' ', or nothing for line breaks). */
  leading: string;
  tokens: DisplayToken[];
  commands: RecognisedCommand[];
}

export interface PushResult {
  segment: SegmentDisplay;
  /** Earlier segments whose text "scratch that" removed (in part or entirely), as they now read. */
  revised: SegmentDisplay[];
}

type Action = { type: 'token'; kind: Exclude<TokenKind, 'word'>; text: string } | { type: 'scratch' };

interface Command {
  rule: RuleName;
  words: readonly string[];
  action: Action;
}

const mark = (text: string): Action => ({ type: 'token', kind: 'punctuation', text });

/** Spoken commands; at each word the longest matching one wins. */
const COMMANDS: readonly Command[] = [
  { rule: 'comma', words: ['comma'], action: mark(',') },
  { rule: 'period', words: ['period'], action: mark('.') },
  { rule: 'fullStop', words: ['full', 'stop'], action: mark('.') },
  { rule: 'questionMark', words: ['question', 'mark'], action: mark('?') },
  { rule: 'exclamationMark', words: ['exclamation', 'mark'], action: mark('!') },
  { rule: 'exclamationMark', words: ['exclamation', 'point'], action: mark('!') },
  { rule: 'colon', words: ['colon'], action: mark(':') },
  { rule: 'semicolon', words: ['semicolon'], action: mark(';') },
  { rule: 'semicolon', words: ['semi', 'colon'], action: mark(';') },
  { rule: 'newLine', words: ['new', 'line'], action: { type: 'token', kind: 'lineBreak', text: '\n' } },
  {
    rule: 'newParagraph',
    words: ['new', 'paragraph'],
    action: { type: 'token', kind: 'lineBreak', text: '\n\n' },
  },
  { rule: 'quotes', words: ['open', 'quote'], action: { type: 'token', kind: 'openQuote', text: '"' } },
  { rule: 'quotes', words: ['close', 'quote'], action: { type: 'token', kind: 'closeQuote', text: '"' } },
  { rule: 'scratchThat', words: ['scratch', 'that'], action: { type: 'scratch' } },
];
const SENTENCE_ENDS = new Set(['.', '?', '!']);
const PRONOUN_I = new Set(['i', "i'm", "i've", "i'll", "i'd"]);

interface Token {
  kind: TokenKind;
  text: string;
  /** Separator before it in the document. */
  sep: string;
  /** Whether a word after this token starts a sentence. */
  capAfter: boolean;
  segment: number;
  words: [number, number];
  rule?: RuleName;
}

interface SegmentRecord {
  index: number;
  words: readonly string[];
  tokens: Token[]; // those still in the document, in order
  commands: RecognisedCommand[];
}

/**
 * Turns committed segments, in order, into display text. Keeps what the next segment needs: the tokens so far
 * (for capitalisation, spacing and "scratch that").
 */
export class Postprocessor {
  readonly config: Readonly<PostprocessConfig>;
  private readonly commands: readonly Command[];
  private readonly records: SegmentRecord[] = [];
  /** Phrases of the document, each a run of tokens; the last is the current one (see the file comment). */
  private readonly phrases: Token[][] = [[]];

  constructor(config: Partial<{ rules: Partial<Record<RuleName, boolean>> }> = {}) {
    const rules = { ...DEFAULT_POSTPROCESS_CONFIG.rules, ...config.rules };
    this.config = Object.freeze({ rules: Object.freeze(rules) });
    this.commands = COMMANDS.filter((c) => rules[c.rule]);
  }

  /** Adds the next committed segment: raw words, or a string of them separated by spaces. */
  push(segment: string | readonly string[]): PushResult {
    const words = typeof segment === 'string' ? segment.split(/\s+/).filter(Boolean) : [...segment];
    const record: SegmentRecord = { index: this.records.length, words, tokens: [], commands: [] };
    this.records.push(record);
    this.startPhrase(); // a segment starts a phrase
    const revised = new Set<number>();

    for (let i = 0; i < words.length;) {
      const command = this.match(words, i);
      if (!command) {
        this.append(record, { kind: 'word', text: words[i], words: [i, i + 1] });
        i++;
        continue;
      }
      const span: [number, number] = [i, i + command.words.length];
      record.commands.push({ rule: command.rule, words: span });
      if (command.action.type === 'scratch') {
        for (const s of this.scratch()) if (s !== record.index) revised.add(s);
      } else {
        const { kind, text } = command.action;
        this.append(record, { kind, text, words: span, rule: command.rule });
        this.startPhrase(); // a command token ends its phrase
      }
      i = span[1];
    }
    return {
      segment: this.display(record),
      revised: [...revised].sort((a, b) => a - b).map((s) => this.display(this.records[s])),
    };
  }

  /** The current display of every segment pushed so far. */
  segments(): SegmentDisplay[] {
    return this.records.map((r) => this.display(r));
  }

  /** The whole document as displayed. */
  text(): string {
    return this.records.map((r) => (r.tokens.length ? r.tokens[0].sep : '') + joinTokens(r.tokens)).join('');
  }

  private match(words: readonly string[], at: number): Command | undefined {
    let best: Command | undefined;
    for (const c of this.commands) {
      if (at + c.words.length > words.length) continue;
      if (best && best.words.length >= c.words.length) continue;
      if (c.words.every((w, k) => words[at + k].toLowerCase() === w)) best = c;
    }
    return best;
  }

  private lastToken(): Token | undefined {
    for (let p = this.phrases.length - 1; p >= 0; p--) {
      const phrase = this.phrases[p];
      if (phrase.length) return phrase[phrase.length - 1];
    }
    return undefined;
  }

  private startPhrase(): void {
    if (this.phrases[this.phrases.length - 1].length) this.phrases.push([]);
  }

  private append(
    record: SegmentRecord,
    t: { kind: TokenKind; text: string; words: [number, number]; rule?: RuleName },
  ): void {
    const prev = this.lastToken();
    const capBefore = prev ? prev.capAfter : true;
    let text = t.text;
    let capAfter: boolean;
    if (t.kind === 'word') {
      const { rules } = this.config;
      const lower = text.toLowerCase();
      if ((rules.capitalizeSentences && capBefore) || (rules.capitalizeI && PRONOUN_I.has(lower))) {
        text = text.charAt(0).toUpperCase() + text.slice(1);
      }
      capAfter = false;
    } else if (t.kind === 'punctuation') {
      capAfter = SENTENCE_ENDS.has(text);
    } else if (t.kind === 'lineBreak') {
      capAfter = true;
    } else {
      capAfter = capBefore; // quotes do not change whether a sentence is starting
    }
    const token: Token = { ...t, text, sep: separator(prev, t.kind), capAfter, segment: record.index };
    this.phrases[this.phrases.length - 1].push(token);
    record.tokens.push(token);
  }

  /** Removes the current phrase, or the one before it when it is empty; returns the segments touched. */
  private scratch(): number[] {
    while (this.phrases.length > 1 && this.phrases[this.phrases.length - 1].length === 0) this.phrases.pop();
    const removed = this.phrases.pop() ?? [];
    this.phrases.push([]);
    const touched = new Set<number>();
    for (const token of removed.reverse()) {
      const tokens = this.records[token.segment].tokens;
      // Tokens leave from the end of the document, so each is the last of its segment at this point.
      if (tokens[tokens.length - 1] !== token) throw new Error('postprocess: scratch out of order');
      tokens.pop();
      touched.add(token.segment);
    }
    return [...touched];
  }

  private display(record: SegmentRecord): SegmentDisplay {
    const tokens: DisplayToken[] = [];
    let at = 0;
    record.tokens.forEach((t, i) => {
      if (i > 0) at += t.sep.length;
      const d: DisplayToken = {
        text: t.text,
        kind: t.kind,
        words: [...t.words],
        chars: [at, at + t.text.length],
      };
      if (t.rule) d.rule = t.rule;
      tokens.push(d);
      at += t.text.length;
    });
    return {
      index: record.index,
      words: record.words,
      text: joinTokens(record.tokens),
      leading: record.tokens[0]?.sep ?? '',
      tokens,
      commands: record.commands.map((c) => ({ rule: c.rule, words: [...c.words] })),
    };
  }
}

/** No space before closing marks and line breaks, none after line breaks and opening quotes, one otherwise. */
function separator(prev: Token | undefined, kind: TokenKind): string {
  if (!prev) return '';
  if (kind === 'punctuation' || kind === 'closeQuote' || kind === 'lineBreak') return '';
  if (prev.kind === 'lineBreak' || prev.kind === 'openQuote') return '';
  return ' ';
}

function joinTokens(tokens: readonly Token[]): string {
  return tokens.map((t, i) => (i > 0 ? t.sep : '') + t.text).join('');
}
