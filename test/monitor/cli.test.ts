// `gpushare-micro monitor` as a user runs it. Needs `npm run build:ts` (npm test does it).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../src/binding/loader.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const nvml = await loadBinding().nvmlSnapshot();

function monitor(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'monitor', ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('monitor CLI', () => {
  it.each([
    [['--interval', '5'], '--interval'],
    [['--prometheus', 'http'], '--prometheus'],
    [['--listen', '127.0.0.1'], '--listen'],
    [['--once', '--duration', '1s'], '--once'],
  ])('rejects %j with exit code 2 and one line naming the option', (args, option) => {
    const r = monitor(...args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(option);
  });

  it.skipIf(nvml.available)('without NVML says so in one line and exits 3', () => {
    const r = monitor('--once');
    expect(r.status).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gpushare-micro: no usable NVIDIA GPU: /);
    expect(r.stdout).toBe('');
  });
});
