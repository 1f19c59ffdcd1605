// An indexed binary min-heap of (key, due time): O(log n) push, pop, re-key and
// delete by key. The scheduler keeps one entry per queued message and arms ONE timer
// for the top.

interface Node {
  key: string;
  due: number;
}

export class DueHeap {
  private readonly nodes: Node[] = [];
  private readonly pos = new Map<string, number>();

  get size(): number {
    return this.nodes.length;
  }

  has(key: string): boolean {
    return this.pos.has(key);
  }

  due(key: string): number | undefined {
    const i = this.pos.get(key);
    return i === undefined ? undefined : this.nodes[i]!.due;
  }

  /** earliest entry, without removing it */
  peek(): Node | undefined {
    return this.nodes[0];
  }

  /** insert, or move an existing key to a new due time */
  set(key: string, due: number): void {
    const i = this.pos.get(key);
    if (i === undefined) {
      this.nodes.push({ key, due });
      this.pos.set(key, this.nodes.length - 1);
      this.up(this.nodes.length - 1);
      return;
    }
    const old = this.nodes[i]!.due;
    this.nodes[i]!.due = due;
    if (due < old) this.up(i);
    else this.down(i);
  }

  pop(): Node | undefined {
    const top = this.nodes[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  delete(key: string): boolean {
    const i = this.pos.get(key);
    if (i === undefined) return false;
    this.removeAt(i);
    return true;
  }

  keys(): IterableIterator<string> {
    return this.pos.keys();
  }

  private removeAt(i: number): void {
    const n = this.nodes;
    const last = n.pop()!;
    this.pos.delete(i === n.length ? last.key : n[i]!.key);
    if (i === n.length) return;
    n[i] = last;
    this.pos.set(last.key, i);
    this.up(i);
    this.down(i);
  }

  private up(i: number): void {
    const n = this.nodes;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (n[p]!.due <= n[i]!.due) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.nodes;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n.length && n[l]!.due < n[m]!.due) m = l;
      if (r < n.length && n[r]!.due < n[m]!.due) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const n = this.nodes;
    const t = n[a]!;
    n[a] = n[b]!;
    n[b] = t;
    this.pos.set(n[a]!.key, a);
    this.pos.set(n[b]!.key, b);
  }
}
