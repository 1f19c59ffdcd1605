// Sequence sets (RFC 3501 §9 sequence-set): "1,3:5,7:*". "*" is the largest number
// in use; ranges may be given high-to-low (RFC 3501 §9: "2:4" and "4:2" are the same).

import { ImapSyntaxError } from "./reader.ts";

/** -1 stands for "*" */
export type SeqRange = readonly [number, number];
export type SeqSet = readonly SeqRange[];

const STAR = -1;

export function parseSeqSet(text: string): SeqSet {
  const out: SeqRange[] = [];
  for (const part of text.split(",")) {
    const [a, b, extra] = part.split(":");
    if (extra !== undefined) throw new ImapSyntaxError(`bad sequence range "${part}"`);
    const lo = seqNumber(a!);
    const hi = b === undefined ? lo : seqNumber(b);
    out.push([lo, hi]);
  }
  return out;
}

function seqNumber(s: string): number {
  if (s === "*") return STAR;
  if (!/^[1-9][0-9]{0,9}$/.test(s)) throw new ImapSyntaxError(`bad sequence number "${s}"`);
  const n = Number(s);
  if (n > 0xffffffff) throw new ImapSyntaxError(`sequence number ${s} is too large`);
  return n;
}

/** the range with "*" replaced by `max` and the bounds ordered */
export function resolveRange(r: SeqRange, max: number): [number, number] {
  const a = r[0] === STAR ? max : r[0];
  const b = r[1] === STAR ? max : r[1];
  return a <= b ? [a, b] : [b, a];
}

/** does the set contain n (with "*" = max)? */
export function seqContains(set: SeqSet, n: number, max: number): boolean {
  for (const r of set) {
    const [lo, hi] = resolveRange(r, max);
    if (n >= lo && n <= hi) return true;
  }
  return false;
}

/**
 * Indexes (0-based, ascending, unique) into a sorted ascending array of numbers
 * (sequence numbers 1..n or UIDs) that the set selects. `max` is the value of "*".
 */
export function selectSorted(values: readonly number[], set: SeqSet, max: number): number[] {
  const hit = new Set<number>();
  for (const r of set) {
    const [lo, hi] = resolveRange(r, max);
    let i = lowerBound(values, lo);
    for (; i < values.length && values[i]! <= hi; i++) hit.add(i);
  }
  return [...hit].sort((a, b) => a - b);
}

function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** compact a list of numbers into a sequence-set string: [1,2,3,5] → "1:3,5" */
export function formatSeqSet(nums: readonly number[]): string {
  if (nums.length === 0) return "";
  const s = [...nums].sort((a, b) => a - b);
  const out: string[] = [];
  let start = s[0]!;
  let prev = start;
  for (let i = 1; i <= s.length; i++) {
    const n = s[i];
    if (n === prev + 1) {
      prev = n;
      continue;
    }
    if (n === prev) continue;
    out.push(start === prev ? `${start}` : `${start}:${prev}`);
    if (n !== undefined) start = prev = n;
  }
  return out.join(",");
}
