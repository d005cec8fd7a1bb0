import { encodeWav } from '../speech/wav.js';
import type { SegmentAudio } from '../store/store.js';
import { toRemoteError } from './router.js';

/**
 * A segment's clip as an HTTP answer, shared by the browser shell's /audio/<id>.wav and the desktop app's
 * audio protocol. A request names a segment id and nothing else: the file is the one the store has on record
 * for that segment, so no request can make either of them read a path of its choosing.
 */
export interface ClipReply {
  status: number;
  headers: Record<string, string>;
  /** null for a HEAD request (the headers still describe the body a GET would get). */
  body: Buffer | null;
}

/** Reads a segment's clip the way the store does (Store.segmentAudio). */
export type SegmentAudioSource = (segmentId: number) => Promise<SegmentAudio>;

/** A clip's name in a URL: the segment id (no sign, no leading zero, at most 15 digits) and ".wav". */
const CLIP_NAME = /^([1-9]\d{0,14})\.wav$/;

/** The segment a clip name stands for, or null when the name is anything but "<id>.wav". */
export function segmentIdOfClipName(name: string): number | null {
  const m = CLIP_NAME.exec(name);
  return m ? Number(m[1]) : null;
}

/** Answers a GET or HEAD for one segment's clip, as WAV, honouring a single "bytes=" range. */
export async function clipReply(
  segmentAudio: SegmentAudioSource,
  segmentId: number,
  request: { head: boolean; range: string | undefined },
): Promise<ClipReply> {
  let clip: SegmentAudio;
  try {
    clip = await segmentAudio(segmentId);
  } catch (err) {
    const e = toRemoteError(err);
    return textReply(e.code === 'NOT_FOUND' ? 404 : 500, e.message, request.head);
  }
  if (clip.status === 'none') return textReply(404, `segment ${segmentId} has no audio`, request.head);
  if (clip.status !== 'ok') return textReply(404, clip.message, request.head);
  const wav = encodeWav(clip.samples, clip.sampleRate);
  const headers = { 'Cache-Control': 'no-store', 'Accept-Ranges': 'bytes' };
  const range = parseRange(request.range, wav.length);
  if (range === 'unsatisfiable') {
    const reply = textReply(416, 'requested range not satisfiable', request.head);
    return { ...reply, headers: { ...headers, ...reply.headers, 'Content-Range': `bytes */${wav.length}` } };
  }
  const [start, end] = range ?? [0, wav.length - 1];
  return {
    status: range ? 206 : 200,
    headers: {
      ...headers,
      'Content-Type': 'audio/wav',
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${wav.length}` } : {}),
    },
    body: request.head ? null : wav.subarray(start, end + 1),
  };
}

/** A plain-text answer: an error message meant for whoever reads the response. */
export function textReply(status: number, text: string, head = false): ClipReply {
  const body = Buffer.from(text);
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) },
    body: head ? null : body,
  };
}

/**
 * One "bytes=" range: [start, end] inclusive, null for none (or several: the whole file is sent),
 * 'unsatisfiable' when it lies outside the file.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | null | 'unsatisfiable' {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}
