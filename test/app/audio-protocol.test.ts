import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  answerClipRequest,
  AUDIO_SCHEME_PRIVILEGES,
  clipUrl,
  segmentIdOfClipUrl,
} from '../../src-main/app/audio-protocol.js';
import { parseWav } from '../../src-main/speech/wav.js';
import { openTestStore, type TestStore } from '../store/store-helpers.js';

let t: TestStore;
let withClip: number;
let withoutClip: number;
const samples = new Float32Array(8000).map((_, i) => 0.25 * Math.sin((2 * Math.PI * 440 * i) / 16000));

beforeAll(async () => {
  t = openTestStore();
  const session = t.store.sessions.create({ title: 'Clips' });
  withClip = (
    await t.store.appendSegment(
      session.id,
      { startMs: 0, endMs: 500, rawText: 'tone' },
      { samples, sampleRate: 16000 },
    )
  ).id;
  withoutClip = t.store.segments.append(session.id, { startMs: 600, endMs: 700, rawText: 'no clip' }).id;
  // A file in the data folder that no request may read.
  writeFileSync(join(t.dir, 'secret.wav'), 'not for the page');
});

afterAll(() => t?.dispose());

/** A request as Electron's protocol.handle passes it. */
function request(url: string, method = 'GET', headers: Record<string, string> = {}) {
  return { url, method, headers: new Headers(headers) };
}

const fromStore = (id: number) => t.store.segmentAudio(id);

describe('audio protocol: URLs', () => {
  it('is registered as a standard, streaming scheme that does not bypass the page policy', () => {
    expect(AUDIO_SCHEME_PRIVILEGES.scheme).toBe('attune-audio');
    expect(AUDIO_SCHEME_PRIVILEGES.privileges).toMatchObject({ standard: true, stream: true });
    expect(AUDIO_SCHEME_PRIVILEGES.privileges?.bypassCSP).toBeFalsy();
  });

  it('names a segment by its id, and reads the id back', () => {
    expect(clipUrl(42)).toBe('attune-audio://clip/42.wav');
    expect(segmentIdOfClipUrl(clipUrl(42))).toBe(42);
    expect(segmentIdOfClipUrl(clipUrl(999_999_999_999_999))).toBe(999_999_999_999_999);
    // Dot segments are resolved as Chromium resolves them: what is left still names only an id.
    expect(segmentIdOfClipUrl('attune-audio://clip/x/../7.wav')).toBe(7);
  });

  it.each([
    'attune-audio://clip/../secret.wav',
    'attune-audio://clip/%2e%2e/secret.wav',
    'attune-audio://clip/..%2fsecret.wav',
    'attune-audio://clip/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'attune-audio://clip/1.wav/..%5C..%5Csecret.wav',
    'attune-audio://clip/%31.wav',
    'attune-audio://clip/01.wav',
    'attune-audio://clip/0.wav',
    'attune-audio://clip/-1.wav',
    'attune-audio://clip/1e3.wav',
    'attune-audio://clip/1.WAV',
    'attune-audio://clip/1.wav%00',
    'attune-audio://clip/1234567890123456.wav',
    'attune-audio://clip//1.wav',
    'attune-audio://clip/1/2.wav',
    'attune-audio://clip/1.wav?token=x',
    'attune-audio://clip/1.wav#t=1',
    'attune-audio://user:pw@clip/1.wav',
    'attune-audio://other/1.wav',
    'attune-audio:/1.wav',
    'file:///etc/passwd',
    'https://clip/1.wav',
    'not a url',
  ])('refuses %s', (url) => {
    expect(segmentIdOfClipUrl(url)).toBeNull();
  });
});

describe('audio protocol: answers', () => {
  it('serves a stored clip as WAV, whole, by range and for HEAD', async () => {
    const whole = await answerClipRequest(request(clipUrl(withClip)), fromStore);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await whole.arrayBuffer());
    const wav = parseWav(bytes, 'clip.wav');
    expect(wav.sampleRate).toBe(16000);
    expect(wav.mono.length).toBe(samples.length);
    expect(Math.abs(wav.mono[123] - samples[123])).toBeLessThan(1e-3);

    const part = await answerClipRequest(
      request(clipUrl(withClip), 'GET', { range: 'bytes=4-11' }),
      fromStore,
    );
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(4, 12));

    const beyond = `bytes=${bytes.length}-`;
    const outside = await answerClipRequest(request(clipUrl(withClip), 'GET', { range: beyond }), fromStore);
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${bytes.length}`);

    const head = await answerClipRequest(request(clipUrl(withClip), 'HEAD'), fromStore);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.body).toBeNull();
  });

  it('answers 404 for a segment without a clip or unknown to the store, and 405 for other methods', async () => {
    const none = await answerClipRequest(request(clipUrl(withoutClip)), fromStore);
    expect(none.status).toBe(404);
    expect(await none.text()).toBe(`segment ${withoutClip} has no audio`);
    expect((await answerClipRequest(request(clipUrl(99_999)), fromStore)).status).toBe(404);
    const post = await answerClipRequest(request(clipUrl(withClip), 'POST'), fromStore);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('never asks the store for a URL that is not exactly a clip address', async () => {
    const asked: number[] = [];
    const spy = (id: number) => {
      asked.push(id);
      return fromStore(id);
    };
    for (const url of [
      'attune-audio://clip/../secret.wav',
      'attune-audio://clip/%2e%2e%2fsecret.wav',
      `attune-audio://clip/${withClip}.wav/..%2f..%2fsecret.wav`,
      'attune-audio://other/1.wav',
    ]) {
      const answer = await answerClipRequest(request(url), spy);
      expect(answer.status).toBe(404);
      expect(await answer.text()).not.toContain('not for the page');
    }
    expect(asked).toEqual([]);
  });
});
