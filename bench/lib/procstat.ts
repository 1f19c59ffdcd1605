// /proc readers for the benchmark: CPU seconds of a process tree and peak RSS.
//
// CPU of a tree = Σ over its live processes of utime+stime+cutime+cstime. A child that
// exits and is reaped by a parent in the tree moves its time into the parent's
// cutime/cstime, so the sum is conserved; take the difference of two snapshots.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64/arm64

interface Stat {
  pid: number;
  ppid: number;
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined; // exited meanwhile
  }
  // the command name may hold spaces and parens: fields start after the last ')'
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17
  const n = (i: number) => Number(f[i - 3]);
  return { pid, ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) };
}

/** pids of `root` and all its descendants (live). */
export function processTree(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = byParent.get(st.ppid);
    if (list) list.push(pid);
    else byParent.set(st.ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    for (const c of byParent.get(p) ?? []) todo.push(c);
  }
  return out;
}

/** CPU seconds (user+sys, including reaped children) of the tree under `root`. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLK_TCK;
}

function statusKb(pid: number, key: string): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "latin1");
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(s);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmHWM (peak resident set) of one process, in MiB. */
export function vmHwmMb(pid: number): number {
  return statusKb(pid, "VmHWM") / 1024;
}

/** Σ VmHWM over the live processes of a tree, in MiB (an upper bound of the tree's peak). */
export function treeHwmMb(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) kb += statusKb(pid, "VmHWM");
  return kb / 1024;
}

/** Reset VmHWM of every process in a tree to its current RSS (Linux clear_refs "5"). */
export function resetTreeHwm(root: number): void {
  for (const pid of processTree(root)) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
    } catch {
      // exited meanwhile, or not permitted: the figure then covers the process lifetime
    }
  }
}
