import type { AttuneApi, ExportResult, SearchHit } from '../../../src-main/ipc/contract.js';
import type { ExportFormat, SessionSummary } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

export interface HistoryConfig {
  /** Sessions fetched per page of the list. */
  pageSize: number; // 50
  /** Search results asked for. */
  searchLimit: number; // 50
}

export const DEFAULT_HISTORY: HistoryConfig = { pageSize: 50, searchLimit: 50 };

/** The session the user deleted last, while its undo is offered. */
export interface Deleted {
  id: number;
  title: string;
}

/**
 * The history screen's state: sessions newest first, full-text search with highlighted matches, rename,
 * delete with undo, and export. Refreshes itself when the app says sessions changed.
 */
export class History {
  sessions = $state.raw<SessionSummary[]>([]);
  total = $state(0);
  query = $state('');
  /** Results of the current query; null when not searching. */
  hits = $state.raw<SearchHit[] | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  deleted = $state.raw<Deleted | null>(null);
  private readonly cfg: HistoryConfig;
  /** Answers to older searches that arrive late are dropped. */
  private searchSeq = 0;

  constructor(
    private readonly api: AttuneApi,
    config: Partial<HistoryConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_HISTORY, ...config };
  }

  /** Loads the list and follows changes; returns the unsubscribe. */
  connect(): () => void {
    void this.refresh();
    return this.api.on('sessions.changed', () => void this.refresh());
  }

  /** Whether older sessions than those listed exist. */
  get hasMore(): boolean {
    return this.sessions.length < this.total;
  }

  /** Lists the next page of older sessions below the ones shown. */
  async more(): Promise<void> {
    await this.run(async () => {
      const page = await this.api.call('sessions.list', {
        limit: this.cfg.pageSize,
        offset: this.sessions.length,
      });
      const known = (id: number) => this.sessions.some((s) => s.id === id);
      this.sessions = [...this.sessions, ...page.items.filter((s) => !known(s.id))];
      this.total = page.total;
    });
  }

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      // As many as are shown, so a refresh does not fold the list back to its first page.
      const limit = Math.min(500, Math.max(this.cfg.pageSize, this.sessions.length));
      const page = await this.api.call('sessions.list', { limit });
      this.sessions = page.items;
      this.total = page.total;
      if (this.query.trim()) await this.search(this.query);
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  async search(query: string): Promise<void> {
    this.query = query;
    const seq = ++this.searchSeq;
    if (!query.trim()) {
      this.hits = null;
      return;
    }
    try {
      const hits = await this.api.call('sessions.search', { query, limit: this.cfg.searchLimit });
      if (seq === this.searchSeq) {
        this.hits = hits;
        this.error = null;
      }
    } catch (err) {
      if (seq === this.searchSeq) this.error = messageOf(err);
    }
  }

  async rename(id: number, title: string): Promise<boolean> {
    return this.run(async () => {
      const session = await this.api.call('sessions.rename', { id, title });
      this.sessions = this.sessions.map((s) => (s.id === id ? { ...s, title: session.title } : s));
    });
  }

  async remove(id: number): Promise<boolean> {
    const title = this.sessions.find((s) => s.id === id)?.title ?? `session ${id}`;
    return this.run(async () => {
      await this.api.call('sessions.delete', { id });
      this.sessions = this.sessions.filter((s) => s.id !== id);
      if (this.hits) this.hits = this.hits.filter((h) => h.session.id !== id);
      this.deleted = { id, title };
    });
  }

  async undoDelete(): Promise<boolean> {
    const d = this.deleted;
    if (!d) return false;
    const ok = await this.run(() => this.api.call('sessions.restore', { id: d.id }));
    if (ok) {
      this.deleted = null;
      await this.refresh();
    }
    return ok;
  }

  dismissUndo(): void {
    this.deleted = null;
  }

  /** The export as the app rendered it (and saved it, in the desktop app), or null on failure. */
  async export(id: number, format: ExportFormat, segmentIds?: number[]): Promise<ExportResult | null> {
    let result: ExportResult | null = null;
    await this.run(async () => {
      result = await this.api.call('sessions.export', { id, format, segmentIds });
    });
    return result;
  }

  private async run(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      this.error = null;
      return true;
    } catch (err) {
      this.error = messageOf(err);
      return false;
    }
  }
}
