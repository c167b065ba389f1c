// Kills a test stack's process group when the test process that started it is gone (a Jest run
// aborted with Ctrl-C, killed, or one that ended without stopping its stack). The stack runs in its
// own process group, so nothing else would reach it; Jest's sandboxed `process` never sees the real
// process's 'exit' either. Exits on its own once the group has no living member.
//
// Usage: node stack-watchdog.mjs <test process pid> <process group id>
import fs from 'node:fs';

const [parent, group] = process.argv.slice(2).map(Number);

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/** Members of the group that are not zombies (a zombie holds no ports and no files). */
function groupAlive() {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === group && state !== 'Z' && state !== 'X') return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

setInterval(() => {
  if (!groupAlive()) process.exit(0);
  if (!alive(parent)) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
    process.exit(0);
  }
}, 1000);
