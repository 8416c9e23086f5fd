// `gpushare-micro monitor`: the GPUs and their processes live in the terminal, as plain lines or
// JSON lines, and optionally as a Prometheus endpoint. Without a GPU: one line, exit code 3.
import { Command } from 'commander';
import { MONITOR_DEFAULTS, resolveMonitorOptions, type MonitorFlags } from '../monitor/options.js';
import { fail } from './common.js';
import { EXIT } from './exit-codes.js';

export function monitorCommand(): Command {
  return new Command('monitor')
    .description(
      "show the GPUs and their processes live: utilisation, memory, power, temperature, clocks, throttle reasons, GPM SM activity and occupancy, each process's SM use, and the figures of runs in progress",
    )
    .option('--interval <ms>', `refresh period in milliseconds, 50..60000 (default ${MONITOR_DEFAULTS.intervalMs})`)
    .option('--once', 'print one frame and exit')
    .option('--json', 'print one JSON object per frame, one per line')
    .option('-d, --duration <time>', 'stop after this long, e.g. 10s or 2m (default: until Ctrl-C)')
    .option('--device <list>', 'only these GPU indices, comma-separated (default: all)')
    .option('--no-gpm', 'do not take GPM samples')
    .option('--prometheus <port>', 'also serve Prometheus metrics (dcgm-exporter names) on this port; 0 picks a free one')
    .option('--listen <addr>', `address of the Prometheus endpoint (default ${MONITOR_DEFAULTS.listen}, loopback only)`)
    .option('-q, --quiet', 'with --prometheus: print nothing but the endpoint')
    .action(async (flags: MonitorFlags) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const config = resolveMonitorOptions(flags);
        // Loaded only now: a usage error or --help needs neither the addon nor the Prometheus client.
        const [{ loadBinding }, { runMonitor }] = await Promise.all([import('../binding/loader.js'), import('../monitor/monitor.js')]);
        const binding = loadBinding();
        await runMonitor(
          binding,
          config,
          {
            write: (text) => process.stdout.write(text),
            isTTY: process.stdout.isTTY === true,
            columns: process.stdout.columns ?? 100,
            color: process.stdout.isTTY === true && !process.env.NO_COLOR,
            onListening: (url) => console.error(`gpushare-micro: serving Prometheus metrics at ${url}`),
            onNote: (note) => console.error(`gpushare-micro: ${note}`),
          },
          controller.signal,
        );
        // Ctrl-C is how a live monitor normally ends.
        process.exitCode = EXIT.ok;
      } catch (error) {
        const e = error as Error & { code?: string; syscall?: string; address?: string; port?: number };
        if (e.syscall === 'listen') {
          console.error(`gpushare-micro: cannot serve Prometheus metrics on ${e.address ?? '?'}:${e.port ?? '?'}: ${e.code ?? e.message}`);
          process.exitCode = EXIT.error;
        } else {
          process.exitCode = fail(error);
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
