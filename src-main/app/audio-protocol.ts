import type { CustomScheme } from 'electron';
import {
  clipReply,
  type ClipReply,
  type SegmentAudioSource,
  segmentIdOfClipName,
  textReply,
} from './clip-reply.js';

/**
 * The desktop app's clip playback: the window's <audio> element loads attune-audio://clip/<segmentId>.wav,
 * which the main process answers from the store (protocol.handle), as `attune serve` answers /audio/<id>.wav.
 * A URL names a segment id and nothing else, so whatever it holds (dot segments, escapes, other hosts) it can
 * only ever reach the clip the store has on record for that segment. Only the app's own window uses the
 * scheme: nothing else runs in the desktop app's session, and no other program can reach it.
 */
export const AUDIO_SCHEME = 'attune-audio';
const CLIP_HOST = 'clip';

/**
 * Registered before the app is ready. standard: URLs parse like http ones (host, path) in Chromium as in
 * segmentIdOfClipUrl; secure: not blocked as mixed content; stream: the audio element reads the answer as a
 * stream and seeks with range requests. Not bypassCSP: the page's policy names the scheme in media-src and
 * nowhere else.
 */
export const AUDIO_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: AUDIO_SCHEME,
  privileges: { standard: true, secure: true, stream: true },
};

/** The address of a segment's clip, for segments.audioUrl. */
export function clipUrl(segmentId: number): string {
  return `${AUDIO_SCHEME}://${CLIP_HOST}/${segmentId}.wav`;
}

/** The segment a clip URL names, or null for any other URL. */
export function segmentIdOfClipUrl(url: string): number | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${AUDIO_SCHEME}:` || u.host !== CLIP_HOST) return null;
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') return null;
  return u.pathname.startsWith('/') ? segmentIdOfClipName(u.pathname.slice(1)) : null;
}

/** What the protocol handler reads of a request (Electron hands it a fetch Request). */
export interface ClipRequest {
  url: string;
  method: string;
  headers: { get(name: string): string | null };
}

/** Answers one request of the audio protocol: the clip, or a refusal saying why. */
export async function answerClipRequest(
  request: ClipRequest,
  segmentAudio: SegmentAudioSource,
): Promise<Response> {
  const head = request.method === 'HEAD';
  if (request.method !== 'GET' && !head) {
    const refused = textReply(405, `method ${request.method} is not allowed`);
    return toResponse({ ...refused, headers: { ...refused.headers, Allow: 'GET, HEAD' } });
  }
  const segmentId = segmentIdOfClipUrl(request.url);
  if (segmentId === null) return toResponse(textReply(404, 'no such clip', head));
  const range = request.headers.get('range') ?? undefined;
  return toResponse(await clipReply(segmentAudio, segmentId, { head, range }));
}

function toResponse(reply: ClipReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.headers });
}
