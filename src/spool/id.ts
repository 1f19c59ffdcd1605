// Queue ids: 14 characters of lowercase Crockford-style base32, sortable by creation
// time (string order == time order within one process), unique within a process and,
// thanks to a random counter start per millisecond, across processes in practice.
//
//   9 chars = 45 bits of ms since epoch (good until the year 3084)
//   5 chars = 25 bits of counter, starting at a random value below 2^24 each ms
//
// The id is ASCII, at most 16 bytes, which is what the spool record header holds.

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const COUNTER_LIMIT = 1 << 25;

let lastMs = 0;
let counter = 0;

function encode(value: number, chars: number): string {
  let out = "";
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[value % 32]! + out;
    value = Math.floor(value / 32);
  }
  return out;
}

export const QUEUE_ID_LENGTH = 14;

export function newQueueId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = Math.floor(Math.random() * (1 << 24));
  } else {
    counter++;
    if (counter >= COUNTER_LIMIT) {
      lastMs++;
      counter = Math.floor(Math.random() * (1 << 24));
    }
  }
  if (prefixMs !== lastMs) {
    prefixMs = lastMs;
    prefix = encode(lastMs, 9); // one per millisecond
  }
  return prefix + encode(counter, 5);
}

let prefixMs = -1;
let prefix = "";

/** ms timestamp encoded in a queue id (NaN when it is not one) */
export function queueIdTime(id: string): number {
  if (id.length !== QUEUE_ID_LENGTH) return NaN;
  let v = 0;
  for (let i = 0; i < 9; i++) {
    const d = ALPHABET.indexOf(id[i]!);
    if (d < 0) return NaN;
    v = v * 32 + d;
  }
  return v;
}

export function isQueueId(id: string): boolean {
  return id.length === QUEUE_ID_LENGTH && /^[0-9a-hjkmnp-tv-z]+$/.test(id);
}
