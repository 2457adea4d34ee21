/**
 * What /proc says about a process: CPU time (utime + stime of the whole thread group, in clock ticks),
 * resident memory, open descriptors. The figures the anchors (ejabberd, Prosody) were measured with.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second (CLK_TCK): 100 on every Linux this runs on, asked once anyway. */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime of the process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

/** VmRSS in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The soft and hard RLIMIT_NOFILE of a process, from /proc/<pid>/limits. */
export function fileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const n = (s: string | undefined) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/**
 * The main thread's scheduler figures (/proc/<pid>/task/<pid>/schedstat): seconds on a CPU and seconds
 * runnable but waiting for one. Busy event-loop time that is neither was spent blocked in the kernel
 * (synchronous I/O such as fsync).
 */
export function mainThreadSched(pid: number): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    return { run: (run ?? 0) / 1e9, wait: (wait ?? 0) / 1e9 };
  } catch {
    return { run: Number.NaN, wait: Number.NaN };
  }
}

/** A CPU + time mark, to turn two samples into a share of one core. */
export interface CpuMark {
  at: number;
  cpu: number;
  /** Main thread on a CPU / waiting in the run queue, seconds (NaN when schedstat is unavailable). */
  run?: number;
  wait?: number;
}

export function cpuMark(pid: number): CpuMark {
  const s = mainThreadSched(pid);
  return { at: performance.now(), cpu: cpuSeconds(pid), run: s.run, wait: s.wait };
}

export interface CpuDelta {
  /** Process CPU seconds (all threads). */
  seconds: number;
  /** That as a share of one core over the wall time (1 = one core busy). */
  share: number;
  /** Main thread: share of wall time on a CPU, and waiting runnable for one (CPU contention). */
  mainRun: number;
  mainWait: number;
}

/** CPU between two marks. */
export function cpuBetween(a: CpuMark, b: CpuMark): CpuDelta {
  const seconds = b.cpu - a.cpu;
  const wall = (b.at - a.at) / 1000;
  const per = (x: number) => (wall > 0 ? x / wall : 0);
  return {
    seconds,
    share: per(seconds),
    mainRun: per((b.run ?? Number.NaN) - (a.run ?? Number.NaN)),
    mainWait: per((b.wait ?? Number.NaN) - (a.wait ?? Number.NaN)),
  };
}

/** `nproc`, total memory and the like for the report. */
export function machine(): Record<string, unknown> {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const total = /MemTotal:\s+(\d+)/.exec(meminfo)?.[1];
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {}
  return {
    cpus: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    cpuModel: model,
    memoryGiB: total ? Math.round((Number(total) / 2 ** 20) * 10) / 10 : undefined,
    kernel,
    node: process.version,
    openFiles: fileLimits(),
    portRange: readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '-'),
  };
}

/**
 * Pressure stall figures (share of time some task waited for a CPU / for I/O, 60 s average, %): this VM
 * is shared, and other work on it shows here. Undefined where /proc/pressure does not exist.
 */
export function pressure(): { cpu60: number; io60: number } | undefined {
  try {
    const some = (f: string) => Number(/some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync(f, 'utf8'))?.[1]);
    return { cpu60: some('/proc/pressure/cpu'), io60: some('/proc/pressure/io') };
  } catch {
    return undefined;
  }
}
