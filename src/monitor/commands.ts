// The command line of a process, for the monitor's process list: /proc/<pid>/cmdline where this
// process can see it (same PID namespace), else the name NVML gave, else "?".
import { readFileSync } from 'node:fs';

const cache = new Map<number, string>();

export function processCommand(pid: number, nvmlName: string | undefined, maxLength = 120): string {
  let command = cache.get(pid);
  if (command === undefined) {
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((s) => s.length > 0)
        .join(' ');
    } catch {
      command = '';
    }
    if (command === '') command = nvmlName ?? '?';
    if (cache.size > 4096) cache.clear();
    cache.set(pid, command);
  }
  return command.length > maxLength ? `${command.slice(0, maxLength - 1)}…` : command;
}
