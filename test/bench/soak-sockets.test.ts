// The soak's WebSocket storm against the real shell (the app in this process, its engine in another): the
// page's connections are let in and answered, every other kind is refused with its status, and the page's
// own connection is answered throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectAttune } from '../../src-main/app/web-client.js';
import type { AttuneApi } from '../../src-main/ipc/contract.js';
import { socketStorm } from '../../bench/soak-sockets.js';
import { startTestApp, type TestApp } from '../app/app-helpers.js';

let t: TestApp;
let api: AttuneApi;

beforeAll(async () => {
  t = await startTestApp({ shell: true });
  const shell = t.shell!;
  api = await connectAttune(shell.url, shell.token, {
    createSocket: (u) => new WebSocket(u, { origin: shell.origin }),
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe('the WebSocket storm', () => {
  it('lets the page in, refuses the rest with their status, and the page is answered all along', async () => {
    const r = await socketStorm(new URL(t.shell!.url), api, { attempts: 50, pingEveryMs: 20 });
    for (const [kind, k] of Object.entries(r.byKind)) {
      expect(k.tries, kind).toBe(10);
      expect(k.otherwise, kind).toEqual([]);
      expect(k.asExpected, kind).toBe(10);
    }
    expect(r.pings.count).toBeGreaterThan(0);
    expect(r.pings.failed).toBe(0);
  });

  it('takes pages refused with 503 as right only once the shell’s bound of open pages is reached', async () => {
    const settle = () => new Promise((r) => setTimeout(r, 500)); // the last storm's sockets close
    await settle();
    // 20 pages beside the one open: the shell (16 at once) lets 15 in and refuses 5.
    const r = await socketStorm(new URL(t.shell!.url), api, { attempts: 100, pingEveryMs: 20 });
    expect(r.byKind.page).toMatchObject({ tries: 20, letIn: 15, asExpected: 20, otherwise: [] });
    await settle();
    // Judged by a bound the shell does not have, the same refusals are wrong.
    const strict = await socketStorm(new URL(t.shell!.url), api, { attempts: 100, pageBound: 32 });
    expect(strict.byKind.page).toMatchObject({ tries: 20, letIn: 15, asExpected: 15, otherwise: ['503'] });
  });
});
