/**
 * Memory of a group of processes and everything they spawned, read from /proc (Linux): the resident set (VmRSS) of
 * every process in the trees under some root pids, summed per root, sampled on a timer.
 *
 * Summed RSS counts pages shared between processes (libraries, node's own binary) once per process, so the total is
 * an upper bound of what the group holds, which is the safe side for a target.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessRoot {
  label: string;
  pid: number;
}

export interface MemorySamples {
  /** Samples taken while the measured work ran, and the longest gap between two of them (the timer is not exact). */
  samples: number;
  maxGapMs: number;
  /** The highest total of all trees together in one sample, and each root's share of that sample. */
  peakBytes: number;
  peakByRoot: Record<string, number>;
  /** The same sample by process: `<root label> / <process name>` (same-named processes of one tree summed). */
  peakByProcess: Record<string, number>;
  /** Each root's own highest figure (not necessarily in the same sample). */
  maxByRoot: Record<string, number>;
  /** The most processes the trees held at once. */
  processes: number;
}

/** pid → parent pid for every process visible in /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(name), ppid);
    } catch {
      /* the process ended while we looked */
    }
  }
  return out;
}

/** The command line of a process, arguments joined by spaces ('' if it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  return [...parents()].filter(([, ppid]) => ppid === pid).map(([child]) => child);
}

/** `root` and all its descendants. */
function tree(root: number, ppids: Map<number, number>): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of ppids) byParent.set(ppid, [...(byParent.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    if (!ppids.has(pid)) continue;
    out.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** A process's name (its executable's, as /proc/<pid>/status says) and resident set. */
function rss(pid: number): { name: string; bytes: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    // kernel threads and zombies have no VmRSS
    return { name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', bytes: kb ? Number(kb) * 1024 : 0 };
  } catch {
    return { name: '(ended)', bytes: 0 };
  }
}

/** One reading: each root's tree RSS, and how many processes the trees held. */
export function readTrees(roots: ProcessRoot[]): { byRoot: Record<string, number>; byProcess: Record<string, number>; total: number; processes: number } {
  const ppids = parents();
  const byRoot: Record<string, number> = {};
  const byProcess: Record<string, number> = {};
  let total = 0;
  let processes = 0;
  for (const { label, pid } of roots) {
    for (const p of tree(pid, ppids)) {
      const { name, bytes } = rss(p);
      byRoot[label] = (byRoot[label] ?? 0) + bytes;
      byProcess[`${label} / ${name}`] = (byProcess[`${label} / ${name}`] ?? 0) + bytes;
      total += bytes;
      processes++;
    }
  }
  return { byRoot, byProcess, total, processes };
}

/** Samples the trees every `intervalMs` from start() until stop(), keeping the peak. */
export class TreeSampler {
  private timer?: NodeJS.Timeout;
  private last = 0;
  private result: MemorySamples = { samples: 0, maxGapMs: 0, peakBytes: 0, peakByRoot: {}, peakByProcess: {}, maxByRoot: {}, processes: 0 };

  constructor(
    private readonly roots: ProcessRoot[],
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  stop(): MemorySamples {
    clearInterval(this.timer);
    this.sample();
    return this.result;
  }

  private sample(): void {
    const now = performance.now();
    if (this.last) this.result.maxGapMs = Math.max(this.result.maxGapMs, now - this.last);
    this.last = now;
    const reading = readTrees(this.roots);
    const r = this.result;
    r.samples++;
    r.processes = Math.max(r.processes, reading.processes);
    if (reading.total > r.peakBytes) {
      r.peakBytes = reading.total;
      r.peakByRoot = reading.byRoot;
      r.peakByProcess = reading.byProcess;
    }
    for (const [label, bytes] of Object.entries(reading.byRoot)) r.maxByRoot[label] = Math.max(r.maxByRoot[label] ?? 0, bytes);
  }
}
