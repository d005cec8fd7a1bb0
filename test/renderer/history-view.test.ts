import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import type { SearchHit } from '../../src-main/ipc/contract.js';
import type { Segment, Session, SessionSummary } from '../../src-main/store/types.js';
import HistoryView from '../../src-renderer/src/views/HistoryView.svelte';
import { contractApi, segmentOf } from './contract-api.js';

const DAY_MS = 86_400_000;

function sessionOf(id: number, title: string, text: string): SessionSummary {
  return {
    id,
    title,
    createdAt: 1_700_000_000_000 + id * DAY_MS,
    endedAt: 1_700_000_000_000 + id * DAY_MS + 60_000,
    device: 'default',
    modelVersionId: null,
    status: 'done',
    deletedAt: null,
    segmentCount: 2,
    correctionCount: 0,
    durationMs: 61_000,
    preview: text,
  };
}

/** A small history kept in memory: the handlers act on it as the store would. */
/** `saved`: what the desktop app's save dialog answers for an export (default: none, a download). */
function historyApi(
  saved: { savedTo: string | null; cancelled: boolean } = { savedTo: null, cancelled: false },
) {
  let sessions = [sessionOf(2, 'Shopping list', 'Buy milk and bread.'), sessionOf(1, 'Letter', 'Dear Sam.')];
  const trash: SessionSummary[] = [];
  const segments = new Map<number, Segment[]>([
    [2, [segmentOf(2, 0, 'Buy milk and bread.'), segmentOf(2, 1, 'And some apples.')]],
    [1, [segmentOf(1, 0, 'Dear Sam.'), segmentOf(1, 1, 'See you soon.')]],
  ]);
  const api = contractApi({
    'sessions.list': () => ({ items: sessions, total: sessions.length }),
    'sessions.search': ({ query }: { query: string }): SearchHit[] =>
      sessions
        .filter((s) => s.preview.toLowerCase().includes(query.toLowerCase()))
        .map((s) => {
          const at = s.preview.toLowerCase().indexOf(query.toLowerCase());
          return {
            session: s,
            matches: [
              {
                segmentId: segments.get(s.id)![0].id,
                parts: [
                  { text: s.preview.slice(0, at), match: false },
                  { text: s.preview.slice(at, at + query.length), match: true },
                  { text: s.preview.slice(at + query.length), match: false },
                ],
              },
            ],
          };
        }),
    'sessions.rename': ({ id, title }: { id: number; title: string }): Session => {
      sessions = sessions.map((s) => (s.id === id ? { ...s, title } : s));
      return sessions.find((s) => s.id === id)!;
    },
    'sessions.delete': ({ id }: { id: number }) => {
      trash.push(...sessions.filter((s) => s.id === id));
      sessions = sessions.filter((s) => s.id !== id);
      return { id, deletedAt: Date.now() };
    },
    'sessions.restore': ({ id }: { id: number }): Session => {
      const s = trash.splice(
        trash.findIndex((t) => t.id === id),
        1,
      )[0];
      sessions = [...sessions, s].sort((a, b) => b.createdAt - a.createdAt);
      return s;
    },
    'sessions.get': ({ id }: { id: number }) => ({
      session: sessions.find((s) => s.id === id)!,
      segments: segments.get(id)!,
    }),
    'sessions.export': ({
      id,
      format,
      segmentIds,
    }: {
      id: number;
      format: string;
      segmentIds?: number[];
    }) => {
      const chosen = segments.get(id)!.filter((s) => !segmentIds || segmentIds.includes(s.id));
      const title = sessions.find((s) => s.id === id)!.title;
      return {
        fileName: `${title}.${format}`,
        mimeType: 'text/plain',
        content: `${title}\n\n${chosen.map((s) => s.displayText).join('\n')}\n`,
        ...saved,
      };
    },
  });
  return api;
}

/** Downloads the page starts: file name and contents. */
let downloads: { name: string; content: Promise<string> }[];
const blobs = new Map<string, Blob>();
const onClick = (ev: MouseEvent) => {
  const a = (ev.target as Element).closest('a[download]') as HTMLAnchorElement | null;
  if (!a) return;
  ev.preventDefault(); // jsdom cannot navigate; the test reads the blob instead
  downloads.push({ name: a.download, content: readText(blobs.get(a.href)!) });
};

/** A blob's text (jsdom's Blob has no text()). */
function readText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

beforeEach(() => {
  downloads = [];
  // jsdom has no object URLs; these keep the blob so the test can read what would be downloaded.
  URL.createObjectURL = (b: Blob | MediaSource) => {
    const url = `blob:test/${blobs.size}`;
    blobs.set(url, b as Blob);
    return url;
  };
  URL.revokeObjectURL = (url: string) => void blobs.delete(url);
  document.addEventListener('click', onClick);
});

afterEach(() => {
  document.removeEventListener('click', onClick);
  vi.useRealTimers();
});

const titles = () => screen.getAllByTestId('session-row').map((r) => r.querySelector('.title')?.textContent);

describe('HistoryView', () => {
  it('lists sessions newest first with their preview', async () => {
    render(HistoryView, { api: historyApi() });
    await vi.waitFor(() => expect(titles()).toEqual(['Shopping list', 'Letter']));
    expect(screen.getByText('2 sessions')).toBeTruthy();
    expect(screen.getByText('Buy milk and bread.')).toBeTruthy();
  });

  it('searches the full text and highlights the matching words', async () => {
    const api = historyApi();
    render(HistoryView, { api, searchDelayMs: 0 });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await fireEvent.input(screen.getByLabelText('Search transcripts'), { target: { value: 'milk' } });
    await vi.waitFor(() => expect(titles()).toEqual(['Shopping list']));
    const match = screen.getByTestId('search-match');
    expect(match.querySelector('mark')?.textContent).toBe('milk');
    expect(match.textContent).toBe('Buy milk and bread.');
    expect(screen.getByText('1 session matches')).toBeTruthy();
    expect(api.calls.filter((c) => c.method === 'sessions.search').at(-1)?.args).toEqual({
      query: 'milk',
      limit: 50,
    });
    // Clearing the search shows every session again.
    await fireEvent.input(screen.getByLabelText('Search transcripts'), { target: { value: '' } });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
  });

  it('renames a session in place (Enter saves, Escape cancels)', async () => {
    render(HistoryView, { api: historyApi() });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await fireEvent.click(screen.getByRole('button', { name: 'Rename Letter' }));
    const input = screen.getByTestId('rename-input') as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: 'Letter to Sam' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await vi.waitFor(() => expect(titles()).toEqual(['Shopping list', 'Letter to Sam']));

    await fireEvent.click(screen.getByRole('button', { name: 'Rename Letter to Sam' }));
    await fireEvent.input(screen.getByTestId('rename-input'), { target: { value: 'Nope' } });
    await fireEvent.keyDown(screen.getByTestId('rename-input'), { key: 'Escape' });
    expect(titles()).toEqual(['Shopping list', 'Letter to Sam']);
  });

  it('shows why a rename was refused', async () => {
    render(HistoryView, { api: historyApi() });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await fireEvent.click(screen.getByRole('button', { name: 'Rename Letter' }));
    await fireEvent.input(screen.getByTestId('rename-input'), { target: { value: '   ' } });
    await fireEvent.keyDown(screen.getByTestId('rename-input'), { key: 'Enter' });
    // The contract refuses an empty title before it reaches the app.
    await vi.waitFor(() =>
      expect(screen.getByRole('alert').textContent).toContain('a title cannot be empty'),
    );
  });

  it('deletes a session and undoes the delete', async () => {
    const api = historyApi();
    render(HistoryView, { api });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await fireEvent.click(screen.getByRole('button', { name: 'Delete Shopping list' }));
    await vi.waitFor(() => expect(titles()).toEqual(['Letter']));
    expect(screen.getByTestId('undo-bar').textContent).toContain('Deleted “Shopping list”');
    await fireEvent.click(screen.getByTestId('undo'));
    await vi.waitFor(() => expect(titles()).toEqual(['Shopping list', 'Letter']));
    expect(screen.queryByTestId('undo-bar')).toBeNull();
    expect(api.calls.filter((c) => c.method.startsWith('sessions.re')).map((c) => c.args)).toEqual([
      { id: 2 },
    ]);
  });

  it('opens a session and exports it, whole or the selected phrases, as a download', async () => {
    const api = historyApi();
    render(HistoryView, { api });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await fireEvent.click(screen.getAllByTestId('session-open')[0]);
    const detail = await vi.waitFor(() => screen.getByTestId('session-detail'));
    await vi.waitFor(() => expect(within(detail).getAllByTestId('segment')).toHaveLength(2));
    expect(within(detail).getByRole('heading').textContent).toBe('Shopping list');

    await fireEvent.click(within(detail).getByTestId('export'));
    await vi.waitFor(() => expect(downloads).toHaveLength(1));
    expect(downloads[0].name).toBe('Shopping list.txt');
    expect(await downloads[0].content).toBe('Shopping list\n\nBuy milk and bread.\nAnd some apples.\n');
    expect(within(detail).getByTestId('export-message').textContent).toBe('Downloaded Shopping list.txt');

    await fireEvent.click(within(detail).getByRole('checkbox', { name: 'Select phrase 2 for export' }));
    await fireEvent.change(within(detail).getByLabelText('Export as'), { target: { value: 'srt' } });
    const button = within(detail).getByTestId('export');
    expect(button.textContent?.trim()).toBe('Export 1 selected');
    await fireEvent.click(button);
    await vi.waitFor(() => expect(downloads).toHaveLength(2));
    expect(downloads[1].name).toBe('Shopping list.srt');
    expect(await downloads[1].content).toBe('Shopping list\n\nAnd some apples.\n');
    expect(api.calls.filter((c) => c.method === 'sessions.export').at(-1)?.args).toEqual({
      id: 2,
      format: 'srt',
      segmentIds: [202],
    });
  });

  it('says where the desktop app saved an export, or that it was cancelled, and downloads nothing', async () => {
    for (const [saved, message] of [
      [{ savedTo: '/home/sam/Shopping list.txt', cancelled: false }, 'Saved to /home/sam/Shopping list.txt'],
      [{ savedTo: null, cancelled: true }, 'Export cancelled: nothing was saved'],
    ] as const) {
      const { unmount } = render(HistoryView, { api: historyApi(saved) });
      await vi.waitFor(() => expect(titles()).toHaveLength(2));
      await fireEvent.click(screen.getAllByTestId('session-open')[0]);
      const detail = await vi.waitFor(() => screen.getByTestId('session-detail'));
      await fireEvent.click(within(detail).getByTestId('export'));
      await vi.waitFor(() => expect(within(detail).getByTestId('export-message').textContent).toBe(message));
      expect(downloads).toHaveLength(0);
      unmount();
    }
  });

  it('lists older sessions page by page', async () => {
    const many = Array.from({ length: 5 }, (_, i) => sessionOf(5 - i, `Note ${5 - i}`, `text ${5 - i}`));
    const api = contractApi({
      'sessions.list': ({ limit = 50, offset = 0 }: { limit?: number; offset?: number }) => ({
        items: many.slice(offset, offset + limit),
        total: many.length,
      }),
    });
    render(HistoryView, { api, pageSize: 2 });
    await vi.waitFor(() => expect(titles()).toEqual(['Note 5', 'Note 4']));
    await fireEvent.click(screen.getByRole('button', { name: 'Show older sessions (3 more)' }));
    await vi.waitFor(() => expect(titles()).toEqual(['Note 5', 'Note 4', 'Note 3', 'Note 2']));
    await fireEvent.click(screen.getByTestId('more'));
    await vi.waitFor(() => expect(titles()).toHaveLength(5));
    expect(screen.queryByTestId('more')).toBeNull();
    // A change elsewhere reloads as many as are shown.
    api.emit('sessions.changed', { id: 3 });
    await vi.waitFor(() => expect(api.calls.at(-1)?.args).toEqual({ limit: 5 }));
    expect(titles()).toHaveLength(5);
  });

  it('follows changes the app announces', async () => {
    const api = historyApi();
    render(HistoryView, { api });
    await vi.waitFor(() => expect(titles()).toHaveLength(2));
    await api.call('sessions.rename', { id: 1, title: 'Renamed elsewhere' });
    api.emit('sessions.changed', { id: 1 });
    await vi.waitFor(() => expect(titles()).toEqual(['Shopping list', 'Renamed elsewhere']));
  });
});
