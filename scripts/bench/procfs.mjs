// Linux /proc readers for scripts/bench.mjs: process tree, per-process CPU time, memory, machine CPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const v = Number(r.stdout?.trim());
  return Number.isInteger(v) && v > 0 ? v : 100;
})();

/** Fields of /proc/<pid>/stat (comm may hold spaces and parentheses: split after the last ')'). */
function readStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field n is rest[n - 3]
    return {
      pid: Number(pid),
      state: rest[0],
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
      cpuSeconds: (Number(rest[11]) + Number(rest[12])) / CLK_TCK, // utime + stime
    };
  } catch {
    return undefined; // gone
  }
}

export function allProcesses() {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(readStat)
    .filter((p) => p && p.state !== 'Z'); // zombies have exited; only their exit status is left
}

/** Every live descendant of pid (children, grandchildren, ...). */
export function descendants(rootPid) {
  const procs = allProcesses();
  const found = [];
  let frontier = [rootPid];
  while (frontier.length) {
    const next = procs.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Live processes whose process group is pgid. */
export const processGroup = (pgid) => allProcesses().filter((p) => p.pgrp === pgid);

export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

export const cpuSeconds = (pid) => readStat(pid)?.cpuSeconds;

/** VmRSS and VmHWM (peak RSS) in KiB. */
export function memory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1]);
    return { rssKiB: kib('VmRSS'), peakRssKiB: kib('VmHWM') };
  } catch {
    return { rssKiB: undefined, peakRssKiB: undefined };
  }
}

/** Machine-wide CPU jiffies from /proc/stat (all cores). */
export function machineCpu() {
  const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal || 0, ticks: CLK_TCK };
}

/**
 * CPU use between two moments: per named process in % of one core, the bench process itself, and the
 * whole machine in % of all cores (so other people's work on the machine shows up as "other").
 */
export class CpuMeter {
  constructor(named) {
    this.named = named; // { name: pid }
    this.reset();
  }

  reset() {
    this.t0 = process.hrtime.bigint();
    this.proc0 = Object.fromEntries(Object.entries(this.named).map(([n, pid]) => [n, cpuSeconds(pid) ?? 0]));
    const self = process.cpuUsage();
    this.self0 = (self.user + self.system) / 1e6;
    this.machine0 = machineCpu();
  }

  /** Usage since the last reset(); does not reset. */
  read() {
    const wall = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const perCore = {};
    let ours = 0;
    for (const [name, pid] of Object.entries(this.named)) {
      const used = (cpuSeconds(pid) ?? this.proc0[name]) - this.proc0[name];
      perCore[name] = (100 * used) / wall;
      ours += used;
    }
    const self = process.cpuUsage();
    const selfUsed = (self.user + self.system) / 1e6 - this.self0;
    perCore.bench = (100 * selfUsed) / wall;
    ours += selfUsed;
    const m = machineCpu();
    const busy = (m.busy - this.machine0.busy) / m.ticks;
    const total = busy + (m.idle - this.machine0.idle) / m.ticks;
    return {
      wallSeconds: wall,
      perCore,
      machineBusyPct: total > 0 ? (100 * busy) / total : undefined,
      // % of the whole machine (all cores) used by processes other than the product and the bench
      otherPct: total > 0 ? Math.max(0, (100 * (busy - ours)) / total) : undefined,
      stealPct: total > 0 ? (100 * (m.steal - this.machine0.steal)) / m.ticks / total : undefined,
    };
  }
}
