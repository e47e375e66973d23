/**
 * Figures of a process and of the run, for the benchmarks that run a hub in its own
 * process: its resident and peak memory from /proc, resetting the peak (so a phase's peak
 * can be read alone), the machine, and the tree the run measured.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Resident memory of a process now, in MiB. */
export const rssMiB = (pid: number): number => statusField(pid, 'VmRSS');

/** Peak resident memory of a process since it started or since {@link resetPeakRss}, in MiB. */
export const peakRssMiB = (pid: number): number => statusField(pid, 'VmHWM');

/** CPU time a process has used so far, every thread, user and system, in ms (Linux: /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  // After the command: utime is field 14, stime 15 (1-based), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resets a process's peak resident memory to its current one (Linux: `5` into clear_refs). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The machine and the load, one line. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `Node ${process.version}, ${cpus().length} cores (${cpu.trim()}), load average ${load}`;
}

/** The commit measured, and whether packages or bench had uncommitted changes. */
export function revision(root: string): string {
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'packages', 'bench'], {
      encoding: 'utf8',
    }).trim();
    return changed === '' ? head : `${head} with uncommitted changes`;
  } catch {
    return 'not a git checkout';
  }
}

/** Integers with thousands separators. */
export const count = (value: number | bigint): string => value.toLocaleString('en-US');
