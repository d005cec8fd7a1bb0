import { AUDIO_SCHEME } from './audio-protocol.js';

/**
 * The renderer's Content-Security-Policy, wherever the page is loaded from: Electron sends it as a header, and
 * src-renderer/index.html carries the same text in a <meta> tag, because a page read from file:// comes with no
 * headers at all (a test keeps the two equal). No inline or evaluated script, no remote origin of any kind:
 * the page's own files, data: images (the empty favicon), clips from the desktop app's audio protocol, and
 * WebSockets to this machine, which is how the page reaches `attune serve` (that server's own header narrows
 * it to its port; browsers enforce both policies).
 * Only directives a <meta> tag may carry belong here: browsers ignore frame-ancestors, report-uri and sandbox
 * in one.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  `media-src 'self' ${AUDIO_SCHEME}:`,
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
