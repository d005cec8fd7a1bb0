/**
 * A letter stands for a chunk of none, one or two phones: "gh" in "night" for none, "x" in "box" for K S,
 * "u" in "cute" for Y UW. Given a phone inventory of P phones, chunks are numbered densely — 0 the empty
 * chunk, 1…P single phones, then the P² pairs — so a per-letter table of chunk probabilities is one flat
 * array and needs no hashing in the alignment's inner loops.
 */
export class PhoneChunks {
  /** Phone names in a fixed (sorted) order; a phone's number is its place here. */
  readonly phones: readonly string[];
  private readonly index: Map<string, number>;

  constructor(phones: Iterable<string>) {
    this.phones = [...new Set(phones)].sort();
    this.index = new Map(this.phones.map((p, i) => [p, i]));
  }

  /** How many chunks there are: the empty one, the singles and the pairs. */
  get count(): number {
    const P = this.phones.length;
    return 1 + P + P * P;
  }

  /** A phone's number, or −1 for a phone outside the inventory. */
  phoneIndex(name: string): number {
    return this.index.get(name) ?? -1;
  }

  single(phone: number): number {
    return 1 + phone;
  }

  pair(first: number, second: number): number {
    return 1 + this.phones.length * (1 + first) + second;
  }

  /** The chunk's phone names, in order. */
  phonesOf(chunk: number): string[] {
    const P = this.phones.length;
    if (chunk === 0) return [];
    if (chunk <= P) return [this.phones[chunk - 1]];
    const k = chunk - 1 - P;
    return [this.phones[Math.floor(k / P)], this.phones[k % P]];
  }
}
