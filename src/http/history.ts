// Recent delivery events per message id, for GET /v1/messages/:id: bounded memory,
// O(1) per event. Two generations of plain Maps: new ids go into the young one; when it
// holds `keep` ids it becomes the old one and the previous old one is dropped; an id
// found in the old one moves up. So the events of at least the last `keep` messages
// used are kept (at most 2 × keep) — an approximate LRU at a Map operation per event
// (lru-cache's bookkeeping cost more than the rest of a queued event's handling).

export class History<T> {
  private young = new Map<string, T[]>();
  private old = new Map<string, T[]>();
  constructor(private readonly keep: number) {}

  get(id: string): T[] | undefined {
    const y = this.young.get(id);
    if (y !== undefined) return y;
    const o = this.old.get(id);
    if (o !== undefined) {
      this.old.delete(id);
      this.put(id, o);
    }
    return o;
  }

  add(id: string, event: T): void {
    const h = this.get(id);
    if (h !== undefined) h.push(event);
    else this.put(id, [event]);
  }

  private put(id: string, events: T[]): void {
    if (this.young.size >= this.keep) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(id, events);
  }
}
