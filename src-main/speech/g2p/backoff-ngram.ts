/**
 * A back-off n-gram model over integer tokens (the ARPA model, held as a trie). Node = an n-gram kept in the
 * model; its log-probability is log p(last token | the rest), and a node with children also carries the
 * back-off weight of itself as a context. Nodes are numbered breadth-first with each node's children
 * contiguous and sorted by token, so a child is found by binary search and the whole model is five flat
 * arrays: small, fast to load and to store.
 *
 *   p(w | h) = p*(w | h) when hw is in the model, else backoff(h) · p(w | h without its first token).
 */
export class BackoffNgram {
  /** Each node's order (root 0). */
  readonly depth: Uint8Array;
  /** Each node's suffix: the node of its n-gram without the first token (root for unigrams). */
  readonly suffix: Int32Array;
  /** The highest order in the model. */
  readonly order: number;

  constructor(
    readonly vocabSize: number,
    /** Token of each node (the root's is unused). */
    readonly token: Uint16Array,
    /** Children of node n are childStart[n] … childStart[n + 1] − 1; length nodes + 1. */
    readonly childStart: Uint32Array,
    /** Natural log p(token | parent's n-gram), per node. */
    readonly logProb: Float32Array,
    /** Natural log back-off weight of the node as a context (0 for nodes without children). */
    readonly backoff: Float32Array,
  ) {
    const n = token.length;
    this.depth = new Uint8Array(n);
    this.suffix = new Int32Array(n);
    let order = 0;
    // Breadth-first numbering: a node's parent, and its parent's suffix, come before it.
    for (let p = 0; p < n; p++) {
      for (let c = childStart[p]; c < childStart[p + 1]; c++) {
        this.depth[c] = this.depth[p] + 1;
        order = Math.max(order, this.depth[c]);
        this.suffix[c] = p === 0 ? 0 : this.child(this.suffix[p], token[c]);
        if (this.suffix[c] < 0) throw new RangeError(`n-gram node ${c} has no suffix n-gram in the model`);
      }
    }
    this.order = order;
  }

  get nodes(): number {
    return this.token.length;
  }

  /** The child of `node` with token `t`, or −1. */
  child(node: number, t: number): number {
    const end = this.childStart[node + 1];
    const c = this.lowerBound(node, t);
    return c < end && this.token[c] === t ? c : -1;
  }

  /** First child of `node` whose token is ≥ t (its end when none is). */
  private lowerBound(node: number, t: number): number {
    let lo = this.childStart[node];
    let hi = this.childStart[node + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.token[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Scores every token lo ≤ t < hi after the context `state` (a node of at most order − 1 tokens): writes
   * log p(t | state) to score[t − lo] and the state after t to next[t − lo]. One walk down the back-off
   * chain serves the whole range, which is what makes scoring all of a letter's chunks cheap. A token
   * the model has never seen gets −Infinity.
   */
  scoreRange(state: number, lo: number, hi: number, score: Float64Array, next: Int32Array): void {
    const n = hi - lo;
    score.fill(NaN, 0, n);
    let left = n;
    let acc = 0;
    for (let node = state; ; node = this.suffix[node]) {
      const end = this.lowerBound(node, hi);
      for (let c = this.lowerBound(node, lo); c < end; c++) {
        const k = this.token[c] - lo;
        if (score[k] === score[k]) continue; // set from a longer context already
        score[k] = acc + this.logProb[c];
        next[k] = this.depth[c] >= this.order ? this.suffix[c] : c;
        left--;
      }
      if (node === 0 || left === 0) break;
      acc += this.backoff[node];
    }
    if (left > 0) for (let k = 0; k < n; k++) if (score[k] !== score[k]) [score[k], next[k]] = [-Infinity, 0];
  }

  /** log p(t | state), and the state after it. */
  score(state: number, t: number): { logProb: number; next: number } {
    const s = new Float64Array(1);
    const nx = new Int32Array(1);
    this.scoreRange(state, t, t + 1, s, nx);
    return { logProb: s[0], next: nx[0] };
  }
}
