// Time for the scheduler, injectable so tests drive it with a fake clock.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** ms since epoch */
  now(): number;
  /** call fn once after ms (ms may be 0) */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** setTimeout cannot wait longer than 2^31-1 ms; longer waits re-arm on expiry. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
    return { cancel: () => clearTimeout(t) };
  },
};
