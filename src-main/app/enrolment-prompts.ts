import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnrolmentPrompts } from '../ipc/contract.js';
import { RESOURCES_DIR } from './paths.js';

/** The built-in prompt set: its source and licence are in its header and in the README beside it. */
export const PROMPTS_FILE = join(RESOURCES_DIR, 'enrolment', 'prompts.txt');

const LINE = /^([A-Za-z0-9_-]{1,40})\t(\S.*\S|\S)$/;

/**
 * Reads a prompt file: "#" comment lines (the first ones say where the sentences come from), then one
 * prompt a line as "<id><TAB><text>". A malformed line or a repeated id is an error naming the line: a
 * broken prompt set must never reach a user half-read.
 */
export function parsePrompts(content: string, file = PROMPTS_FILE): EnrolmentPrompts {
  const prompts: EnrolmentPrompts['prompts'] = [];
  const header: string[] = [];
  const seen = new Set<string>();
  for (const [i, line] of content.split(/\r?\n/).entries()) {
    if (line.startsWith('#')) {
      if (prompts.length === 0) header.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m)
      throw new Error(`${file} line ${i + 1}: expected "<id><TAB><sentence>", got ${JSON.stringify(line)}`);
    if (seen.has(m[1])) throw new Error(`${file} line ${i + 1}: prompt id ${m[1]} is used twice`);
    seen.add(m[1]);
    prompts.push({ id: m[1], text: m[2] });
  }
  if (prompts.length === 0) throw new Error(`${file} holds no prompts`);
  // The header's "Source:" and "Licence:" paragraphs, up to its "Format:" one.
  const from = header.findIndex((l) => l.startsWith('Source:'));
  const to = header.findIndex((l) => l.startsWith('Format:'));
  const source = from < 0 ? '' : header.slice(from, to > from ? to : undefined).join(' ');
  return { prompts, source };
}

export function loadPrompts(file = PROMPTS_FILE): EnrolmentPrompts {
  return parsePrompts(readFileSync(file, 'utf8'), file);
}
