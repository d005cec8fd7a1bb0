// What a client asked the app to store and what the app said it had stored, per key: the ground truth a crash
// test holds the data folder to. After a kill the store must hold, for every key, the value last acknowledged
// or one asked for after it and never answered (it may have been written just before the kill). Nothing
// acknowledged may be lost; nothing may appear that was never asked for.

interface Entry<V> {
  acked: V[];
  /** Asked for after the last acknowledged value, oldest first, not yet answered. */
  unanswered: V[];
}

export class WriteLedger<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  private entry(key: K): Entry<V> {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { acked: [], unanswered: [] }));
    return e;
  }

  /** The client asked for `value`; no answer yet. */
  sent(key: K, value: V): void {
    this.entry(key).unanswered.push(value);
  }

  /** The app answered that `value` is stored (asked for earlier, or written on its own, like a new segment). */
  acked(key: K, value: V): void {
    const e = this.entry(key);
    const i = e.unanswered.findIndex((v) => same(v, value));
    e.unanswered = i >= 0 ? e.unanswered.slice(i + 1) : e.unanswered;
    e.acked.push(value);
  }

  /** Keys with at least one acknowledged value. */
  ackedKeys(): K[] {
    return [...this.entries].filter(([, e]) => e.acked.length > 0).map(([k]) => k);
  }

  /** Every value acknowledged for `key`, oldest first. */
  ackedValues(key: K): V[] {
    return [...(this.entries.get(key)?.acked ?? [])];
  }

  /** What the store may hold for `key` after a kill: the last acknowledged value, then the unanswered ones. */
  allowed(key: K): V[] {
    const e = this.entries.get(key);
    if (!e) return [];
    return [...e.acked.slice(-1), ...e.unanswered];
  }

  /** Whether anything was asked for `key` and never answered. */
  inFlight(key: K): boolean {
    return (this.entries.get(key)?.unanswered.length ?? 0) > 0;
  }

  get size(): number {
    return this.ackedKeys().length;
  }
}

function same<V>(a: V, b: V): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
