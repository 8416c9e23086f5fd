// `monitor` options -> one validated configuration; a bad option is an OptionError naming it.
import { isIP } from 'node:net';
import { integer, parseDuration } from '../config.js';
import { OptionError } from '../errors.js';

export interface MonitorFlags {
  interval?: string | number;
  once?: boolean;
  json?: boolean;
  duration?: string | number;
  prometheus?: string | number;
  listen?: string;
  device?: string;
  gpm?: boolean;
  quiet?: boolean;
}

export interface MonitorConfig {
  intervalMs: number;
  once: boolean;
  json: boolean;
  /** Stop after this long; undefined: until Ctrl-C. */
  durationNs?: number;
  prometheus?: { port: number; host: string };
  devices?: number[];
  gpm: boolean;
  quiet: boolean;
  /** Where runs publish their status (src/monitor/run-status.ts); default runStatusDir(). */
  runStatusDir?: string;
}

export const MONITOR_DEFAULTS = { intervalMs: 500, listen: '127.0.0.1' } as const;

export function resolveMonitorOptions(flags: MonitorFlags): MonitorConfig {
  const config: MonitorConfig = {
    intervalMs: flags.interval === undefined ? MONITOR_DEFAULTS.intervalMs : integer('--interval', flags.interval, 50, 60_000),
    once: flags.once ?? false,
    json: flags.json ?? false,
    gpm: flags.gpm ?? true,
    quiet: flags.quiet ?? false,
  };
  if (flags.duration !== undefined) config.durationNs = parseDuration('--duration', flags.duration, 100e6, 7 * 86400e9);
  if (flags.device !== undefined) {
    const parts = String(flags.device).split(',');
    config.devices = parts.map((p) => integer('--device', p.trim(), 0, 1023));
  }
  if (flags.listen !== undefined && flags.prometheus === undefined) {
    throw new OptionError('--listen', 'to come with --prometheus PORT', flags.listen);
  }
  if (flags.prometheus !== undefined) {
    const port = integer('--prometheus', flags.prometheus, 0, 65535);
    const host = flags.listen ?? MONITOR_DEFAULTS.listen;
    if (host !== 'localhost' && isIP(host) === 0) throw new OptionError('--listen', 'an IPv4 or IPv6 address (or localhost)', host);
    config.prometheus = { port, host };
    if (config.once) throw new OptionError('--once', 'not together with --prometheus (the endpoint needs the monitor to keep running)', true);
  }
  if (config.once && config.durationNs !== undefined) throw new OptionError('--once', 'not together with --duration', true);
  if (config.quiet && !config.prometheus) throw new OptionError('--quiet', 'only with --prometheus (otherwise nothing would be shown)', true);
  return config;
}
