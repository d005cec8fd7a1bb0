import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportSession, renderSession, writeExportFile } from '../../src-main/store/export.js';
import { cleanUp, expectStoreErrorAsync, openTestStore, tempDir, type TestStore } from './store-helpers.js';

let t: TestStore;
let out: string;
let sessionId: number;
let segmentIds: number[];

beforeEach(() => {
  t = openTestStore();
  out = tempDir('attune-export-test-');
  const s = t.store.sessions.create({ title: 'Team sync: Q3/Q4?' });
  sessionId = s.id;
  const texts = [
    ['hello everyone', 'Hello everyone.'],
    ['first item budget', 'First item:\nbudget.'],
    ['', ''],
    ['we use <b> tags & arrows --> here', 'We use <b> tags & arrows --> here.'],
  ];
  segmentIds = texts.map(
    ([raw, display], i) =>
      t.store.segments.append(sessionId, {
        startMs: i * 2000,
        endMs: i * 2000 + 1500,
        rawText: raw,
        displayText: display,
        words: raw
          ? raw.split(' ').map((w, k) => ({
              word: w,
              startMs: i * 2000 + k * 100,
              endMs: i * 2000 + k * 100 + 90,
              confidence: 0.8,
            }))
          : [],
      }).id,
  );
  t.store.corrections.add(segmentIds[0], 'Hello, everyone.');
});
afterEach(() => {
  t.dispose();
  cleanUp(out);
});

describe('exportSession', () => {
  it('writes .txt: the title, then one paragraph per segment, empty segments left out', async () => {
    const result = await exportSession(t.store, sessionId, { format: 'txt', dir: out });
    expect(result.path).toBe(join(out, 'Team sync- Q3-Q4_.txt'));
    expect(result.segments).toBe(4);
    const text = readFileSync(result.path, 'utf8');
    expect(text).toBe(
      'Team sync: Q3/Q4?\n\nHello, everyone.\n\nFirst item:\nbudget.\n\nWe use <b> tags & arrows --> here.\n',
    );
    expect(result.bytes).toBe(Buffer.byteLength(text));
  });

  it('exports a selection of segments in session order', async () => {
    const { path } = await exportSession(t.store, sessionId, {
      format: 'txt',
      dir: out,
      segmentIds: [segmentIds[3], segmentIds[0]],
      fileName: 'excerpt',
    });
    expect(readFileSync(path, 'utf8')).toBe(
      'Team sync: Q3/Q4?\n\nHello, everyone.\n\nWe use <b> tags & arrows --> here.\n',
    );
  });

  it('writes .srt and .vtt with their own timestamp formats, VTT text escaped', async () => {
    const srt = readFileSync(
      (await exportSession(t.store, sessionId, { format: 'srt', dir: out })).path,
      'utf8',
    );
    expect(srt.split('\n\n')[0]).toBe('1\n00:00:00,000 --> 00:00:01,500\nHello, everyone.');
    expect(srt).toContain('2\n00:00:02,000 --> 00:00:03,500\nFirst item: budget.\n');
    expect(srt).toContain('3\n00:00:06,000 --> 00:00:07,500\nWe use <b> tags & arrows -> here.\n');
    const vtt = readFileSync(
      (await exportSession(t.store, sessionId, { format: 'vtt', dir: out })).path,
      'utf8',
    );
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello, everyone.\n')).toBe(true);
    expect(vtt).toContain('We use &lt;b&gt; tags &amp; arrows --&gt; here.');
    // Every timing line of both files is well formed.
    for (const [doc, sep] of [
      [srt, ','],
      [vtt, '.'],
    ] as const) {
      const timings = doc.split('\n').filter((l) => l.includes('-->'));
      expect(timings).toHaveLength(3); // the transcript's own "-->" is defused in both formats
      const stamp = `\\d{2}:\\d{2}:\\d{2}\\${sep}\\d{3}`;
      for (const l of timings) expect(l).toMatch(new RegExp(`^${stamp} --> ${stamp}$`));
    }
  });

  it('writes .json with everything, including corrections, readable without Attune', async () => {
    const { path } = await exportSession(t.store, sessionId, { format: 'json', dir: out });
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc).toMatchObject({
      format: 'attune-session',
      version: 1,
      exportedAt: new Date(t.clock.ms).toISOString(),
      session: {
        id: sessionId,
        title: 'Team sync: Q3/Q4?',
        status: 'recording',
        createdAt: new Date(t.clock.ms).toISOString(),
      },
    });
    expect(doc.segments).toHaveLength(4);
    expect(doc.segments[0]).toMatchObject({
      id: segmentIds[0],
      seq: 0,
      startMs: 0,
      endMs: 1500,
      rawText: 'hello everyone',
      displayText: 'Hello, everyone.',
      corrections: [{ beforeText: 'Hello everyone.', afterText: 'Hello, everyone.', status: 'pending' }],
    });
    expect(doc.segments[0].words[1]).toEqual({ word: 'everyone', startMs: 100, endMs: 190, confidence: 0.8 });
    expect(doc.segments[0]).not.toHaveProperty('audioPath');
  });

  it('never replaces an existing file unless asked: numbers it, or fails naming it', async () => {
    const taken = join(out, 'Notes.txt');
    writeFileSync(taken, 'precious');
    const numbered = await exportSession(t.store, sessionId, { format: 'txt', dir: out, fileName: 'Notes' });
    expect(numbered.path).toBe(join(out, 'Notes (2).txt'));
    const third = await exportSession(t.store, sessionId, { format: 'txt', dir: out, fileName: 'Notes' });
    expect(third.path).toBe(join(out, 'Notes (3).txt'));
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'txt', dir: out, fileName: 'Notes', ifExists: 'fail' }),
      'EXISTS',
      taken,
    );
    expect(readFileSync(taken, 'utf8')).toBe('precious');
    const replaced = await exportSession(t.store, sessionId, {
      format: 'txt',
      dir: out,
      fileName: 'Notes',
      ifExists: 'replace',
    });
    expect(replaced.path).toBe(taken);
    expect(readFileSync(taken, 'utf8')).toContain('Hello, everyone.');
    expect(readdirSync(out).sort()).toEqual(['Notes (2).txt', 'Notes (3).txt', 'Notes.txt']); // no temporary files
  });

  it('removes what exports cut short by a crash left in the folder, not what a running export is writing', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // an exporter killed before its link
    const leftover = join(out, `.Team sync.${dead}-0123456789ab.tmp`);
    const young = join(out, `.Minutes.${dead}-ba9876543210.tmp`); // written a moment ago: maybe another machine's
    const running = join(out, `.Notes.${process.pid}-00112233aabb.tmp`);
    const mine = join(out, '.my-own.tmp'); // not an export's: never touched
    for (const f of [leftover, young, running, mine]) writeFileSync(f, 'half an export');
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const f of [leftover, running, mine]) utimesSync(f, hourAgo, hourAgo);
    const { path } = await exportSession(t.store, sessionId, { format: 'txt', dir: out });
    expect(readdirSync(out).sort()).toEqual(
      [
        `.Minutes.${dead}-ba9876543210.tmp`,
        `.Notes.${process.pid}-00112233aabb.tmp`,
        '.my-own.tmp',
        'Team sync- Q3-Q4_.txt',
      ].sort(),
    );
    expect(path).toBe(join(out, 'Team sync- Q3-Q4_.txt'));
  });

  it('gives parallel exports of one name distinct files', async () => {
    const paths = await Promise.all(
      Array.from({ length: 6 }, () =>
        exportSession(t.store, sessionId, { format: 'txt', dir: out, fileName: 'Same' }),
      ),
    );
    expect(new Set(paths.map((p) => p.path)).size).toBe(6);
    expect(readdirSync(out)).toHaveLength(6);
  });

  it('sanitises reserved names from titles', async () => {
    t.store.sessions.rename(sessionId, 'CON');
    expect((await exportSession(t.store, sessionId, { format: 'txt', dir: out })).path).toBe(
      join(out, 'CON_.txt'),
    );
  });

  it('reports bad requests clearly', async () => {
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'docx' as never, dir: out }),
      'BAD_ARGUMENT',
      'txt, srt, vtt, json',
    );
    const missing = join(out, 'nope');
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'txt', dir: missing }),
      'UNWRITABLE',
      missing,
    );
    const file = join(out, 'file');
    writeFileSync(file, '');
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'txt', dir: file }),
      'UNWRITABLE',
      'not a folder',
    );
    const other = t.store.sessions.create().id;
    const foreign = t.store.segments.append(other, { startMs: 0, endMs: 1, rawText: 'x' }).id;
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'txt', dir: out, segmentIds: [segmentIds[0], foreign] }),
      'NOT_FOUND',
      `segment ${foreign} is not part of session ${sessionId}`,
    );
    await expectStoreErrorAsync(
      exportSession(t.store, sessionId, { format: 'txt', dir: out, segmentIds: [] }),
      'BAD_ARGUMENT',
      'no segments',
    );
    await expectStoreErrorAsync(
      exportSession(t.store, 999, { format: 'txt', dir: out }),
      'NOT_FOUND',
      'session 999',
    );
    await expectStoreErrorAsync(
      writeExportFile(out, 'x', 'txt', 'y', 'clobber' as never),
      'BAD_ARGUMENT',
      'ifExists',
    );
    expect(readdirSync(out)).toEqual(['file']);
  });

  it('takes the next free number when several are taken', async () => {
    mkdirSync(join(out, 'sub'));
    for (let n = 1; n <= 3; n++) writeFileSync(join(out, 'sub', n === 1 ? 'A.txt' : `A (${n}).txt`), '');
    expect(await writeExportFile(join(out, 'sub'), 'A', 'txt', 'content')).toBe(
      join(out, 'sub', 'A (4).txt'),
    );
  });

  it('renders without writing, for downloads: sanitised name, MIME type, the same content', async () => {
    const rendered = renderSession(t.store, sessionId, { format: 'vtt' });
    expect(rendered).toMatchObject({
      fileName: 'Team sync- Q3-Q4_.vtt',
      mimeType: 'text/vtt; charset=utf-8',
      segments: 4,
    });
    const written = await exportSession(t.store, sessionId, { format: 'vtt', dir: out });
    expect(readFileSync(written.path, 'utf8')).toBe(rendered.content);
    expect(readdirSync(out)).toEqual(['Team sync- Q3-Q4_.vtt']);
  });
});
