import { z } from 'zod';
import { DEVICE_NAME_RULE, deviceNameProblem } from '../engine/device-name.js';
import type { EnrolmentItem } from '../store/enrolment.js';
import type {
  Correction,
  ModelVersion,
  OutputMode,
  Page,
  Segment,
  Session,
  SessionSummary,
} from '../store/types.js';

/**
 * The one API between the main process and the renderer. Main, preload, renderer and the browser
 * shell all import this file: method names, argument schemas, result types and event payloads live
 * here and nowhere else. Arguments are validated with these schemas where they enter the main
 * process; a channel that is not listed here is refused.
 */

const id = z.number().int().positive();
const text = (max: number) => z.string().max(max);
/** A capture device, never one the recorder would read as an option or a command (device-name.ts). */
const device = text(200).refine(
  (name) => deviceNameProblem(name) === null,
  `a capture device name ${DEVICE_NAME_RULE}`,
);
/** An enrolment prompt's id, as resources/enrolment/prompts.txt names it ("p001"). */
const promptId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/, 'a prompt id is 1 to 40 letters, digits, - or _ (such as "p001")');

/** Argument schemas, by method name. */
export const methodArgs = {
  'system.info': z.object({}).strict(),
  'dictation.start': z.object({ device: device.optional() }).strict(),
  'dictation.stop': z.object({}).strict(),
  'dictation.status': z.object({}).strict(),
  'sessions.list': z
    .object({
      limit: z.number().int().min(1).max(500).optional(),
      offset: z.number().int().min(0).optional(),
    })
    .strict(),
  'sessions.search': z
    .object({ query: text(500), limit: z.number().int().min(1).max(200).optional() })
    .strict(),
  'sessions.get': z.object({ id }).strict(),
  'sessions.rename': z
    .object({ id, title: z.string().trim().min(1, 'a title cannot be empty').max(200) })
    .strict(),
  'sessions.delete': z.object({ id }).strict(),
  'sessions.restore': z.object({ id }).strict(),
  'sessions.export': z
    .object({
      id,
      format: z.enum(['txt', 'srt', 'vtt', 'json']),
      segmentIds: z.array(id).max(100_000).optional(),
    })
    .strict(),
  'segments.correct': z.object({ segmentId: id, text: text(10_000) }).strict(),
  'segments.audioUrl': z.object({ segmentId: id }).strict(),
  'settings.get': z.object({}).strict(),
  'settings.set': z.object({ patch: z.record(z.string(), z.unknown()) }).strict(),
  'devices.list': z.object({}).strict(),
  'devices.test': z
    .object({ device: device.optional(), seconds: z.number().min(0.5).max(30).optional() })
    .strict(),
  'training.status': z.object({}).strict(),
  'training.start': z.object({}).strict(),
  'training.cancel': z.object({}).strict(),
  'models.list': z.object({}).strict(),
  'models.activate': z.object({ id }).strict(),
  'models.resetToBase': z.object({}).strict(),
  'enrolment.prompts': z.object({}).strict(),
  'enrolment.status': z.object({}).strict(),
  'enrolment.record': z.object({ promptId, device: device.optional() }).strict(),
  'enrolment.stop': z.object({ discard: z.boolean().optional() }).strict(),
  'enrolment.skip': z.object({ promptId }).strict(),
  'output.status': z.object({}).strict(),
  /** The page has the keyboard focus, or lost it (the browser shell; Electron watches its window itself). */
  'output.focus': z.object({ attuneFocused: z.boolean() }).strict(),
} as const;

export type MethodName = keyof typeof methodArgs;
export type MethodArgs<M extends MethodName> = z.input<(typeof methodArgs)[M]>;

export type DictationState = 'idle' | 'starting' | 'listening' | 'thinking' | 'stopped' | 'error';

export interface DictationStatus {
  state: DictationState;
  sessionId: number | null;
  /** When the current session started (ms since the epoch), for the elapsed-time display. */
  startedAt: number | null;
  device: string | null;
  error: string | null;
}

export interface SystemInfo {
  version: string;
  backend: { name: string; threads: number; description: string };
  model: { dir: string; label: string; parameters: number };
  /** The word language model finals are decoded with (null: none), and why one asked for is not used. */
  languageModel: { path: string; words: number; order: number } | null;
  languageModelError: string | null;
  dataDir: string;
  hotkey: string;
}

export interface SearchHit {
  session: SessionSummary;
  /** Matching segments with their text split into plain and matched runs (render as text, never HTML). */
  matches: { segmentId: number; parts: { text: string; match: boolean }[] }[];
}

export interface ExportResult {
  fileName: string;
  mimeType: string;
  /** File contents (UTF-8 text for every format). */
  content: string;
  /** Where it was saved, when the main process saved it (Electron's save dialog); null for downloads. */
  savedTo: string | null;
  /** The user closed the save dialog without saving: nothing was written, and nothing is to be downloaded. */
  cancelled: boolean;
}

export interface Device {
  id: string;
  description: string;
}

/**
 * Personal training. 'waiting': a run is held while the user dictates; 'evaluating': the new model is
 * being measured against the current one. lastResult.before/after are word error rates on the user's
 * held-back corrections (current model, new model).
 */
export interface TrainingStatus {
  state: 'idle' | 'waiting' | 'training' | 'evaluating' | 'cancelling' | 'error';
  pendingCorrections: number;
  autoTrain: boolean;
  progress: {
    step: number;
    steps: number;
    loss: number;
    etaSec: number;
    /** What the trainer is doing (absent from older main processes). */
    phase?: 'preparing' | 'training' | 'evaluating' | 'saving';
  } | null;
  lastResult: { promoted: boolean; reason: string; before: number; after: number } | null;
  error: string | null;
  /**
   * Told once by the running or last job, e.g. that training moved from the GPU to the CPU (absent from
   * older main processes).
   */
  notice?: string | null;
  /**
   * Where the running or last job computed (e.g. 'webgpu', 'wasm') and the backend ladder with each rung's
   * reason, as `attune info` prints it (absent from older main processes; null before the first job).
   */
  backend?: { name: string; description: string } | null;
  /**
   * Training loss by step of the running run, else of the last one (absent from older main processes;
   * empty before the first step).
   */
  lossCurve?: LossPoint[];
}

export interface LossPoint {
  step: number;
  loss: number;
}

/** What a microphone test measured: the loudest readings over the time it recorded. */
export interface MicTestResult {
  device: string;
  /** Audio actually recorded, in seconds (less when the test was ended early). */
  seconds: number;
  maxRmsDb: number;
  maxPeakDb: number;
  /** Level events sent during the test. */
  readings: number;
}

/** A sentence enrolment asks the user to read. */
export interface EnrolmentPrompt {
  id: string;
  text: string;
}

export interface EnrolmentPrompts {
  prompts: EnrolmentPrompt[];
  /** Where the sentences come from and under what licence, in words. */
  source: string;
}

/**
 * Where the user stands in enrolment: the prompts recorded or skipped in the current enrolment session
 * (none before the first take), the next prompt to read, and the take being recorded.
 */
export interface EnrolmentStatus {
  /** The enrolment session (listed in History), null before the first take. */
  sessionId: number | null;
  /** Prompts in the built-in set. */
  prompts: number;
  items: EnrolmentItem[];
  recorded: number;
  skipped: number;
  /** Length of all recorded takes, in ms. */
  speechMs: number;
  /** The prompt to read next: the first neither recorded nor skipped, then the skipped ones; null when all are recorded. */
  next: string | null;
  recording: { promptId: string; startedAt: number } | null;
  /** Takes needed before "Train on my voice" is offered (some are held back to measure the new model). */
  minTakes: number;
  /** How much reading an enrolment aims for, in ms. */
  targetMs: number;
  /** Offer enrolment at launch: the user never enrolled, never dictated, and did not decline it. */
  offer: boolean;
}

/** A recorded take as stored: its segment (clip, what the model heard) and its length. */
export interface EnrolmentTake {
  promptId: string;
  segmentId: number;
  heard: string;
  durationMs: number;
}

/**
 * Where finished phrases go (the outputMode setting) and whether that works on this system now. Settings
 * shows `problem` as its one message; the dictation indicator shows `lastError`.
 */
export interface OutputStatus {
  mode: OutputMode;
  /**
   * What happens to each phrase: typed into the focused app, the dictation's text copied to the clipboard
   * (chosen, or instead of typing where typing cannot work), or nothing beyond Attune's window.
   */
  action: 'type' | 'copy' | 'none';
  /** The tool that does it, as the user can look it up ("xdotool", "wl-copy"); null when nothing is done. */
  tool: string | null;
  /** Why the chosen mode does not work (fully) here, and the exact fix: a package to install, a permission. */
  problem: string | null;
  /** The last phrase that could not be typed or copied, and why (it is stored all the same); null since. */
  lastError: string | null;
  /** macOS: whether Attune may send keystrokes (Accessibility); 'not-needed' on other systems. */
  permission: 'granted' | 'denied' | 'unknown' | 'not-needed';
}

export type Settings = Record<string, unknown>;

/** Result types, by method name. */
export interface MethodResults {
  'system.info': SystemInfo;
  'dictation.start': DictationStatus;
  'dictation.stop': DictationStatus;
  'dictation.status': DictationStatus;
  'sessions.list': Page<SessionSummary>;
  'sessions.search': SearchHit[];
  'sessions.get': { session: Session; segments: Segment[] };
  'sessions.rename': Session;
  'sessions.delete': { id: number; deletedAt: number };
  'sessions.restore': Session;
  'sessions.export': ExportResult;
  'segments.correct': { segment: Segment; correction: Correction | null };
  'segments.audioUrl': { url: string | null };
  'settings.get': Settings;
  'settings.set': Settings;
  'devices.list': Device[];
  /** Records from the device for a few seconds, sending 'devices.level'; resolves when the test is over. */
  'devices.test': MicTestResult;
  'training.status': TrainingStatus;
  'training.start': TrainingStatus;
  'training.cancel': TrainingStatus;
  'models.list': ModelVersion[];
  'models.activate': ModelVersion;
  'models.resetToBase': ModelVersion;
  'enrolment.prompts': EnrolmentPrompts;
  'enrolment.status': EnrolmentStatus;
  /** Records the prompt until enrolment.stop (or the longest take); resolves once the take is stored (null: discarded). */
  'enrolment.record': { take: EnrolmentTake | null; status: EnrolmentStatus };
  'enrolment.stop': EnrolmentStatus;
  'enrolment.skip': EnrolmentStatus;
  'output.status': OutputStatus;
  'output.focus': OutputStatus;
}

/** Events from the main process, by name. */
export interface EventPayloads {
  'dictation.state': DictationStatus;
  'dictation.partial': { sessionId: number; segment: number; committed: string; partial: string };
  'dictation.segment': { sessionId: number; segment: Segment };
  'dictation.level': { rmsDb: number; peakDb: number };
  /** The input level during a microphone test (devices.test), not during dictation. */
  'devices.level': { device: string; rmsDb: number; peakDb: number };
  'sessions.changed': { id: number | null };
  'training.status': TrainingStatus;
  'models.changed': { active: ModelVersion | null };
  /** The input level while an enrolment take records. */
  'enrolment.level': { rmsDb: number; peakDb: number };
  'enrolment.status': EnrolmentStatus;
  /** Where phrases go changed (the setting, a tool found at a dictation's start) or typing one failed. */
  'output.status': OutputStatus;
}

export type EventName = keyof EventPayloads;

export const EVENT_NAMES: readonly EventName[] = [
  'dictation.state',
  'dictation.partial',
  'dictation.segment',
  'dictation.level',
  'devices.level',
  'sessions.changed',
  'training.status',
  'models.changed',
  'enrolment.level',
  'enrolment.status',
  'output.status',
];

export const METHOD_NAMES = Object.keys(methodArgs) as MethodName[];

/** The API the renderer sees as `window.attune`: one async function per method, plus events. */
export interface AttuneApi {
  call<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResults[M]>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methodArgs, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}

/** A request refused at the boundary: unknown method or bad arguments. The message says which. */
export class ContractError extends Error {
  constructor(
    readonly code: 'UNKNOWN_METHOD' | 'BAD_ARGUMENTS' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

/** Validates a raw request from the renderer; returns the method and its parsed arguments. */
export function parseRequest(method: unknown, args: unknown): { method: MethodName; args: unknown } {
  if (!isMethodName(method)) {
    throw new ContractError(
      'UNKNOWN_METHOD',
      `unknown method ${JSON.stringify(String(method)).slice(0, 80)}`,
    );
  }
  const r = methodArgs[method].safeParse(args ?? {});
  if (!r.success) {
    const detail = r.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : 'arguments'}: ${i.message}`)
      .join('; ');
    throw new ContractError('BAD_ARGUMENTS', `bad arguments for ${method}: ${detail}`);
  }
  return { method, args: r.data };
}
