// Many WebSocket connection attempts at once on loopback, while the app dictates: the ones from the page (right
// origin, right token) are let in and answered until the shell's bound of open pages is reached and refused
// with 503 beyond it, every other one is refused with its status, and the page's own
// connection keeps being answered promptly throughout. The attempts are bounded: a fixed number, each given
// up after a timeout, all closed at the end.
import WebSocket from 'ws';
import { socketUrl } from '../src-main/app/web-client.js';
import type { AttuneApi } from '../src-main/ipc/contract.js';
import { median } from './stats.js';

export interface StormConfig {
  /** Connection attempts, all started at once. */
  attempts: number; // 200
  /** An attempt with no outcome after this long counts as unanswered, in ms. */
  timeoutMs: number; // 10_000
  /** How often the page's own connection is asked something during the storm, in ms. */
  pingEveryMs: number; // 10
  /** Pages the shell lets be open at once (its maxClients): beyond it, a page is refused with 503. */
  pageBound: number; // 16
  /** Pages already connected when the storm starts (the page whose connection is pinged). */
  openPages: number; // 1
}

export const DEFAULT_STORM: StormConfig = {
  attempts: 200,
  timeoutMs: 10_000,
  pingEveryMs: 10,
  pageBound: 16,
  openPages: 1,
};

/** What each attempt is, and what the shell must do with it. */
const KINDS = {
  page: { expect: 'let in and answered; 503 once the bound of open pages is reached', status: 0 },
  'wrong token': { expect: 'refused, 403', status: 403 },
  'other origin': { expect: 'refused, 403', status: 403 },
  'no origin': { expect: 'refused, 403', status: 403 },
  'other host': { expect: 'refused, 421 (DNS rebinding)', status: 421 },
} as const;
export type AttemptKind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as AttemptKind[];

export interface StormResult {
  attempts: number;
  seconds: number;
  byKind: Record<
    AttemptKind,
    { expected: string; tries: number; asExpected: number; otherwise: string[]; letIn?: number }
  >;
  /** The shell's bound of open pages the storm was judged by. */
  pageBound: number;
  /** The page's own connection during the storm: requests, failures, round trips in ms. */
  pings: { count: number; failed: number; medianMs: number | null; maxMs: number | null };
}

/** One attempt; resolves with its outcome: 'open' (answered a request) or the refusal's HTTP status. */
function attempt(
  kind: AttemptKind,
  url: URL,
  token: string,
  cfg: StormConfig,
  keep: WebSocket[],
): Promise<string> {
  const given = kind === 'wrong token' ? 'x'.repeat(token.length) : token;
  const headers = kind === 'other host' ? { Host: `attacker.example:${url.port}` } : undefined;
  const origin =
    kind === 'no origin' ? undefined : kind === 'other origin' ? 'http://attacker.example' : url.origin;
  return new Promise((resolve) => {
    const ws = new WebSocket(socketUrl(url.href, given), { origin, headers });
    keep.push(ws);
    const timer = setTimeout(() => resolve('no outcome in time'), cfg.timeoutMs);
    const done = (outcome: string) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on('unexpected-response', (_req, res) => {
      done(String(res.statusCode));
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => done(`error: ${err.message}`));
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'dictation.status', args: {} })));
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: unknown; result?: unknown };
      if (reply.id === 1)
        done(reply.result ? 'open' : `answered with an error: ${String(data).slice(0, 100)}`);
    });
  });
}

/** Asks the page's connection something every pingEveryMs until `until` settles; returns the round trips. */
async function pingDuring(api: AttuneApi, until: Promise<unknown>, everyMs: number) {
  const trips: number[] = [];
  let failed = 0;
  let settled = false;
  void until.finally(() => (settled = true));
  while (!settled) {
    const t = performance.now();
    try {
      await api.call('dictation.status', {});
      trips.push(performance.now() - t);
    } catch {
      failed++;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return trips.length === 0
    ? { count: failed, failed, medianMs: null, maxMs: null }
    : { count: trips.length + failed, failed, medianMs: median(trips), maxMs: Math.max(...trips) };
}

/** Runs the storm against the shell at `url` (the address the app printed, token in its fragment). */
export async function socketStorm(
  url: URL,
  api: AttuneApi,
  config: Partial<StormConfig> = {},
): Promise<StormResult> {
  const cfg = { ...DEFAULT_STORM, ...config };
  const token = url.hash.slice('#token='.length);
  const keep: WebSocket[] = [];
  const started = performance.now();
  const kinds = Array.from({ length: cfg.attempts }, (_, i) => KIND_NAMES[i % KIND_NAMES.length]);
  const all = Promise.all(kinds.map((kind) => attempt(kind, url, token, cfg, keep)));
  const [outcomes, pings] = await Promise.all([all, pingDuring(api, all, cfg.pingEveryMs)]);
  const seconds = (performance.now() - started) / 1000;
  for (const ws of keep) ws.terminate();

  const byKind = Object.fromEntries(
    KIND_NAMES.map((k) => [
      k,
      { expected: KINDS[k].expect, tries: 0, asExpected: 0, otherwise: [] as string[] },
    ]),
  ) as StormResult['byKind'];
  // A page refused as too many is as it must be only once the pages let in fill the bound.
  const letIn = outcomes.filter((o, i) => kinds[i] === 'page' && o === 'open').length;
  const full = letIn + cfg.openPages >= cfg.pageBound;
  for (const [i, outcome] of outcomes.entries()) {
    const kind = kinds[i];
    const want = KINDS[kind].status === 0 ? 'open' : String(KINDS[kind].status);
    const entry = byKind[kind];
    entry.tries++;
    if (outcome === want || (kind === 'page' && outcome === '503' && full)) entry.asExpected++;
    else if (!entry.otherwise.includes(outcome)) entry.otherwise.push(outcome);
  }
  byKind.page.letIn = letIn;
  return { attempts: cfg.attempts, seconds, byKind, pings, pageBound: cfg.pageBound };
}
