import { describe, expect, it } from 'vitest';
import { loadPrompts, parsePrompts } from '../../src-main/app/enrolment-prompts.js';

describe('enrolment prompts', () => {
  it('ships at least 120 prompts (minutes of reading) with unique ids, their source and licence', () => {
    const { prompts, source } = loadPrompts();
    expect(prompts.length).toBeGreaterThanOrEqual(120);
    expect(new Set(prompts.map((p) => p.id)).size).toBe(prompts.length);
    expect(source).toMatch(/^Source: written for Attune.*Licence: .*CC0 1\.0/);
    const words = prompts.reduce((n, p) => n + p.text.split(/\s+/).length, 0);
    // At a relaxed 150 words a minute, 5 to 10 minutes of reading.
    expect(words / 150).toBeGreaterThan(5);
    expect(words / 150).toBeLessThan(10);
    // Plain sentences a reader can say as written: no digits or symbols to be read out differently.
    for (const p of prompts) expect(p.text, p.id).toMatch(/^[A-Z][A-Za-z' ,]*[A-Za-z][.?!]$/);
  });

  it('refuses a malformed line or a repeated id, naming the line', () => {
    expect(() => parsePrompts('# x\np1\tOne.\np2 Two.', 'f.txt')).toThrow('f.txt line 3: expected');
    expect(() => parsePrompts('p1\tOne.\np1\tTwo.', 'f.txt')).toThrow(
      'f.txt line 2: prompt id p1 is used twice',
    );
    expect(() => parsePrompts('# only a header\n', 'f.txt')).toThrow('f.txt holds no prompts');
    expect(parsePrompts('# Source: mine.\n# Licence: CC0.\n# Format: lines.\n\np1\tOne.\n')).toEqual({
      prompts: [{ id: 'p1', text: 'One.' }],
      source: 'Source: mine. Licence: CC0.',
    });
  });
});
