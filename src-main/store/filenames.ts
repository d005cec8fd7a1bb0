// File names made from session titles, valid on Windows, macOS and Linux alike: a file exported on one
// and copied to another must still open.

/** Names Windows reserves for devices, with or without an extension (CON, CON.txt, con .txt, COM¹ …). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
/** Invisible characters that can disguise a name (right-to-left overrides flip "txt.exe" into view). */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Longest stem, in UTF-8 bytes. File systems allow 255 bytes per name; the margin leaves room for
 * " (9999).json" and keeps whole paths under Windows' 260-character limit in ordinary folders.
 */
export const MAX_STEM_BYTES = 120;
export const FALLBACK_STEM = 'Untitled';

/**
 * A file name stem (no extension) from free text: path separators and ':' become '-', other characters
 * Windows forbids (<>"?*|) are replaced, control and invisible characters dropped, whitespace collapsed,
 * leading dots (hidden files, "..") and trailing dots and spaces (Windows drops them) removed, reserved
 * device names suffixed with '_', and the result cut to maxBytes of UTF-8 without splitting a character.
 */
export function safeFileStem(text: string, maxBytes = MAX_STEM_BYTES): string {
  let stem = String(text ?? '')
    .normalize('NFC')
    .replace(CONTROL, ' ')
    .replace(INVISIBLE, '')
    .replace(/[/\\:|]/g, '-')
    .replace(/"/g, "'")
    .replace(/[<>?*]/g, '_')
    .replace(/\s+/g, ' ');
  stem = trimEnds(stem);
  stem = trimEnds(truncateUtf8(stem, maxBytes));
  if (stem === '') return FALLBACK_STEM;
  const base = stem.split('.')[0].trimEnd();
  if (WINDOWS_RESERVED.test(base)) stem = `${base}_${stem.slice(base.length)}`;
  return stem;
}

/** "name.ext", then "name (2).ext", "name (3).ext", … */
export function numberedName(stem: string, ext: string, n: number): string {
  return n <= 1 ? `${stem}.${ext}` : `${stem} (${n}).${ext}`;
}

function trimEnds(s: string): string {
  return s.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
}

/** The longest prefix of `s` that is at most maxBytes in UTF-8, cut between code points. */
function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}
