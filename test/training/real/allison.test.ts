import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALLISON_PATHS,
  parsePromptTexts,
  promptId,
  readAllison,
} from '../../../src-main/training/real/allison.js';
import type { RealClip } from '../../../src-main/training/real/clip.js';

describe('Allison prompt texts', () => {
  it('reads `name: Text.` lines, drops comments and sound descriptions, and prompts with no words', () => {
    const texts = parsePromptTexts(
      '; Core Asterisk Sounds in English\n\nactivated: Activated.\nbeep: [this is a simple beep tone]\n' +
        'at-tone-time-exactly: At the sound of the tone, the time will be exactly...\nvm-Cust1: folder 5\n',
    );
    expect([...texts]).toEqual([
      ['activated', 'Activated.'],
      ['at-tone-time-exactly', 'At the sound of the tone, the time will be exactly...'],
      ['vm-Cust1', 'folder 5'],
    ]);
    expect(promptId('vm-Cust1')).toBe('vmcust1');
  });

  it('names the package to install when the prompts are missing', async () => {
    const gen = readAllison({ soundsDir: '/nonexistent/sounds', textsFile: ALLISON_PATHS.textsFile });
    await expect(gen.next()).rejects.toThrow(/asterisk-core-sounds-en-g722/);
  });
});

// Debian's asterisk-core-sounds-en(-g722) packages hold the recordings; without them there is nothing to read.
describe.skipIf(!existsSync(ALLISON_PATHS.soundsDir) || !existsSync(ALLISON_PATHS.textsFile))(
  'Allison prompts as installed',
  () => {
    it('pairs each G.722 prompt with its words', async () => {
      const clips: RealClip[] = [];
      for await (const c of readAllison()) clips.push(c);
      expect(clips.length).toBeGreaterThan(300);
      expect(new Set(clips.map((c) => c.id)).size).toBe(clips.length);
      const pass = clips.find((c) => c.id === 'agentpass')!;
      expect(pass.text).toBe('Please enter your password followed by the pound key.');
      expect(pass.speaker).toBe('allison');
      expect(pass.audio).toMatchObject({ kind: 'encoded', format: 'g722' });
      expect(existsSync(join(ALLISON_PATHS.soundsDir, 'agent-pass.g722'))).toBe(true);
    });
  },
);
