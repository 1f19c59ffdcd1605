// The in-process event bus: synchronous publish/subscribe on the one event loop.
// Publishers (the queue scheduler) never wait for subscribers (event log, metrics,
// webhooks, IMAP IDLE); a subscriber that throws is reported and the others still run.

export type Listener<T> = (event: T) => void;

export class EventBus<T> {
  private listeners: Listener<T>[] = [];

  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  /** Subscribe; returns the function that unsubscribes. */
  subscribe(fn: Listener<T>): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  publish(event: T): void {
    // the array is replaced (never mutated) on (un)subscribe: safe to iterate
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (e) {
        this.onError(e);
      }
    }
  }

  get size(): number {
    return this.listeners.length;
  }
}
