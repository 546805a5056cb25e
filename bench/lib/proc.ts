import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  own: number;
  /** cutime + cstime: CPU of children already reaped. */
  reapedChildren: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5).
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), own: at(14) + at(15), reapedChildren: at(16) + at(17) };
}

/** CPU microseconds used by one process so far (user + system). */
export function cpuMicros(pid: number): number {
  const stat = readStat(pid);
  return stat ? (stat.own * 1e6) / CLOCK_TICKS : NaN;
}

/**
 * CPU microseconds of a process tree one level deep (a PostgreSQL postmaster and its
 * backends): the parent, its live children, and the children it has already reaped.
 */
export function treeCpuMicros(pid: number): number {
  const parent = readStat(pid);
  if (!parent) return NaN;
  let ticks = parent.own + parent.reapedChildren;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = readStat(Number(entry));
    if (child?.ppid === pid) ticks += child.own;
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Resident set size in bytes, or NaN once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? cpuModel;
  } catch {
    // Not Linux: os.cpus() is as good as it gets.
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
  };
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = os.loadavg().map((v) => Math.round(v * 100) / 100);
  return [one, five, fifteen];
}

/** Samples the RSS of some processes while load runs; keeps the maximum seen per pid. */
export class RssSampler {
  private readonly max = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  start(pids: () => number[], everyMs = 200): void {
    this.stop();
    this.timer = setInterval(() => {
      for (const pid of pids()) {
        const rss = rssBytes(pid);
        if (rss > (this.max.get(pid) ?? 0)) this.max.set(pid, rss);
      }
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  maxOf(pid: number): number {
    return this.max.get(pid) ?? NaN;
  }
}
