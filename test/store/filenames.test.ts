import { describe, expect, it } from 'vitest';
import { FALLBACK_STEM, MAX_STEM_BYTES, numberedName, safeFileStem } from '../../src-main/store/filenames.js';

describe('safeFileStem', () => {
  it.each([
    ['Weekly notes', 'Weekly notes'],
    ['Meeting 10:30 a/b\\c|d', 'Meeting 10-30 a-b-c-d'],
    ['What? <Really> *now*', 'What_ _Really_ _now_'],
    ['He said "hi"', "He said 'hi'"],
    ['  lots   of\tspace\n', 'lots of space'],
    ['ends with dots...', 'ends with dots'],
    ['ends with space and dot . ', 'ends with space and dot'],
    ['.hidden', 'hidden'],
    ['..', FALLBACK_STEM],
    ['', FALLBACK_STEM],
    ['???', '___'],
    ['\u0000\u0007', FALLBACK_STEM],
    ['CON', 'CON_'],
    ['con', 'con_'],
    ['nul.tar', 'nul_.tar'],
    ['Com1', 'Com1_'],
    ['LPT9', 'LPT9_'],
    ['COM¹', 'COM¹_'],
    ['CONSOLE', 'CONSOLE'],
    ['AUX notes', 'AUX notes'],
    ['report\u202Etxt.exe', 'reporttxt.exe'],
    ['Café', 'Café'],
  ])('%j → %j', (input, expected) => {
    expect(safeFileStem(input)).toBe(expected);
  });

  it('cuts long titles to the byte limit without splitting a character', () => {
    for (const unit of ['a', 'é', '字', '😀']) {
      const stem = safeFileStem(unit.repeat(500));
      const bytes = Buffer.from(stem, 'utf8');
      expect(bytes.length).toBeLessThanOrEqual(MAX_STEM_BYTES);
      expect(bytes.length).toBeGreaterThan(MAX_STEM_BYTES - 4);
      expect(bytes.toString('utf8')).toBe(stem); // valid UTF-8: nothing split
      expect([...stem].every((ch) => ch === unit)).toBe(true);
    }
    expect(safeFileStem(`${'a'.repeat(MAX_STEM_BYTES - 1)} .b`)).toBe('a'.repeat(MAX_STEM_BYTES - 1));
  });

  it('never yields a character any of the three systems forbids', () => {
    let all = '';
    for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
    const stem = safeFileStem(all + all);
    // eslint-disable-next-line no-control-regex
    expect(stem).not.toMatch(/[<>:"/\\|?*\u0000-\u001f]/);
    expect(stem).not.toMatch(/[ .]$/);
  });
});

describe('numberedName', () => {
  it('numbers from the second name on', () => {
    expect(numberedName('Notes', 'txt', 1)).toBe('Notes.txt');
    expect(numberedName('Notes', 'txt', 2)).toBe('Notes (2).txt');
  });
});
