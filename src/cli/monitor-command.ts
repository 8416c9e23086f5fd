// `gpushare-micro monitor`: the GPUs and their processes live in the terminal, as plain lines or
// JSON lines, and optionally as a Prometheus endpoint. Without a GPU: one line, exit code 3.
import { Command, Option } from 'commander';
import { MONITOR_DEFAULTS, resolveMonitorOptions, type MonitorFlags } from '../monitor/options.js';
import type { AtomicStream } from '../report/json.js';
import { fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';
import { checkJsonTarget, examples, givenOptions, jsonOption } from './output.js';

export function monitorCommand(): Command {
  return new Command('monitor')
    .description(
      "show the GPUs and their processes live: utilisation, memory, power, temperature, clocks, throttle reasons, GPM SM activity and occupancy, each process's SM use, and the figures of runs in progress",
    )
    .addOption(
      new Option('--interval <ms>', 'refresh period in milliseconds, 50..60000').default(MONITOR_DEFAULTS.intervalMs, String(MONITOR_DEFAULTS.intervalMs)),
    )
    .option('--once', 'print one frame and exit')
    .addOption(jsonOption('each frame (one object per line)'))
    .addOption(new Option('-d, --duration <time>', 'stop after this long, e.g. 10s or 2m').default('until Ctrl-C', 'until Ctrl-C'))
    .addOption(new Option('--device <list>', 'only these GPU indices, comma-separated').default('all', 'all'))
    .option('--no-gpm', 'do not take GPM samples')
    .option('--prometheus <port>', 'also serve Prometheus metrics (dcgm-exporter names) on this port; 0 picks a free one')
    .addOption(
      new Option('--listen <addr>', 'address of the Prometheus endpoint').default(MONITOR_DEFAULTS.listen, `${MONITOR_DEFAULTS.listen}, loopback only`),
    )
    .option('-q, --quiet', 'with --prometheus: print nothing but the endpoint')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro monitor', 'every GPU, redrawn every 500 ms until Ctrl-C'],
        ['gpushare-micro monitor --once --device 0', 'one frame of GPU 0'],
        ['gpushare-micro monitor --duration 1m --json frames.jsonl.gz', 'a minute of frames on screen and in a gzipped JSON-lines file'],
        ['gpushare-micro monitor --prometheus 9400 --quiet', 'a Prometheus endpoint on 127.0.0.1:9400'],
      ),
    )
    .action(async (_flags: unknown, self: Command) => {
      const { json, ...flags } = givenOptions<Omit<MonitorFlags, 'json'> & { json?: string | boolean }>(self);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let file: AtomicStream | undefined;
      try {
        const target = checkJsonTarget(json);
        const config = resolveMonitorOptions({ ...flags, json: target?.to === 'stdout' });
        // Loaded only now: a usage error or --help needs neither the addon nor the Prometheus client.
        const [{ loadBinding }, { runMonitor }] = await Promise.all([import('../binding/loader.js'), import('../monitor/monitor.js')]);
        const binding = loadBinding();
        // --json FILE: every frame as a JSON line in FILE (it appears when the monitor stops), the screen as usual.
        const { openAtomicStream } = await import('../report/json.js');
        const { renderJson } = await import('../monitor/render.js');
        file = target?.to === 'file' ? openAtomicStream(target.path) : undefined;
        await runMonitor(
          binding,
          config,
          {
            write: (text) => process.stdout.write(text),
            isTTY: process.stdout.isTTY === true,
            columns: process.stdout.columns ?? 100,
            color: process.stdout.isTTY === true && !process.env.NO_COLOR,
            onListening: (url) => console.error(`gpushare-micro: serving Prometheus metrics at ${url}`),
            ...(file ? { onFrame: (frame) => file!.write(`${renderJson(frame)}\n`) } : {}),
            onNote: (note) => console.error(`gpushare-micro: ${note}`),
          },
          controller.signal,
        );
        if (file && target?.to === 'file') {
          await file.commit();
          file = undefined;
          console.error(`gpushare-micro: wrote ${target.path}`);
        }
        // Ctrl-C is how a live monitor normally ends.
        process.exitCode = EXIT.ok;
      } catch (error) {
        const e = error as Error & { code?: string; syscall?: string; address?: string; port?: number };
        if (e.syscall === 'listen') {
          printError(`cannot serve Prometheus metrics on ${e.address ?? '?'}:${e.port ?? '?'}: ${e.code ?? e.message}`);
          process.exitCode = EXIT.error;
        } else {
          process.exitCode = fail(error);
        }
      } finally {
        await file?.abort();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
