import { SvelteSet } from 'svelte/reactivity';
import type { AttuneApi } from '../../../src-main/ipc/contract.js';
import type { Segment, Session } from '../../../src-main/store/types.js';
import { messageOf } from './format.js';

/** One opened session: its segments, which of them are selected for export, and corrections. */
export class SessionDetailModel {
  session = $state.raw<Session | null>(null);
  segments = $state.raw<Segment[]>([]);
  /** Segments picked for export; none picked means the whole session. */
  readonly selected = new SvelteSet<number>();
  error = $state<string | null>(null);
  loading = $state(true);

  constructor(
    private readonly api: AttuneApi,
    readonly id: number,
  ) {}

  async load(): Promise<void> {
    this.loading = true;
    try {
      const { session, segments } = await this.api.call('sessions.get', { id: this.id });
      this.session = session;
      this.segments = segments;
      this.error = null;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }

  toggle(segmentId: number): void {
    if (!this.selected.delete(segmentId)) this.selected.add(segmentId);
  }

  /**
   * Saves a correction. Returns what to tell the user: a changed text is queued for personal training
   * (with how many corrections now wait); the same text is no correction.
   */
  async correct(segmentId: number, text: string): Promise<{ ok: boolean; message: string }> {
    try {
      const { segment, correction } = await this.api.call('segments.correct', { segmentId, text });
      this.segments = this.segments.map((s) => (s.id === segment.id ? segment : s));
      if (!correction) return { ok: true, message: 'No change to save.' };
      const { pendingCorrections: n } = await this.api.call('training.status', {});
      const waiting = `${n} ${n === 1 ? 'correction' : 'corrections'} waiting`;
      return { ok: true, message: `Saved. Queued for personal training (${waiting}).` };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  async audioUrl(segmentId: number): Promise<string | null> {
    const { url } = await this.api.call('segments.audioUrl', { segmentId });
    return url;
  }
}
