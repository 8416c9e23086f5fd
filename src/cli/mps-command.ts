// `gpushare-micro mps start|stop|status`: an MPS control daemon that outlives one run, for users who
// want MPS on across many runs. `--mode mps --mps-pipe DIR` attaches runs to it.
import { type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { clip, ECHO_LIMIT, OptionError, systemReason } from '../errors.js';
import { defaultPipeDir, mpsStatus, startMpsDaemon, stopMpsDaemon, type MpsStatus } from '../mps/daemon.js';
import { checkOutputDir, fail } from './common.js';
import { EXIT } from './exit-codes.js';
import { checkJsonTarget, examples, givenOptions, jsonOption, writeJsonTarget } from './output.js';

function formatStatus(s: MpsStatus): string {
  if (!s.running) return `MPS: not running in ${clip(s.pipeDir, 3 * ECHO_LIMIT)}${s.reason ? ` (${s.reason})` : ''}`;
  const lines = [`MPS: control daemon pid ${s.controlPid} in ${s.pipeDir}`];
  if (s.servers.length === 0) lines.push('  no server (one starts with the first client)');
  for (const server of s.servers)
    lines.push(
      `  server pid ${server.pid}: ${server.clients.length} client${server.clients.length === 1 ? '' : 's'}${server.clients.length ? ` (${server.clients.join(', ')})` : ''}`,
    );
  if (s.reason) lines.push(`  ${s.reason}`);
  return lines.join('\n');
}

const pipeOption = (cmd: Command) => cmd.addOption(new Option('--pipe <dir>', 'pipe directory').default(defaultPipeDir(), defaultPipeDir()));

/** The --pipe of stop and status: a directory path (it need not exist: then no daemon listens there). */
function pipeDirOf(raw: string | undefined): string {
  if (raw === undefined) return defaultPipeDir();
  if (raw.trim() === '' || raw.includes('\0')) throw new OptionError('--pipe', 'a directory path', raw);
  let stats: Stats;
  try {
    stats = statSync(raw);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return resolve(raw);
    throw new OptionError('--pipe', `a directory path the system accepts (${systemReason(error)})`, raw);
  }
  if (!stats.isDirectory()) throw new OptionError('--pipe', 'a directory, not a file', raw);
  return resolve(raw);
}

export function mpsCommand(): Command {
  const mps = new Command('mps')
    .description('start, stop or inspect an MPS control daemon that stays up across runs')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro mps start', 'a daemon in the default pipe directory, left running'],
        ['gpushare-micro --mode mps --mps-pipe /tmp/nvidia-mps', 'runs attach to it'],
        ['gpushare-micro mps status --json -', 'its servers and their clients, as JSON'],
        ['gpushare-micro mps stop', 'stop it and its servers'],
      ),
    );

  pipeOption(mps.command('start').description('start an MPS control daemon (with its server) and leave it running'))
    .addHelpText('after', examples(['gpushare-micro mps start --pipe /tmp/gsm-mps', 'a daemon with its own pipe directory (logs in /tmp/log)']))
    .addOption(new Option('--log <dir>', 'log directory').default('log', 'log/ beside the pipe directory'))
    .action(async (_flags: unknown, self: Command) => {
      const flags = givenOptions<{ pipe?: string; log?: string }>(self);
      try {
        // Both directories are created if need be: checked before looking for the MPS binaries.
        const pipeDir = flags.pipe === undefined ? defaultPipeDir() : checkOutputDir('--pipe', flags.pipe);
        const logDir = flags.log === undefined ? join(dirname(pipeDir), 'log') : checkOutputDir('--log', flags.log);
        const daemon = await startMpsDaemon({ pipeDir, logDir, stopOnExit: false });
        console.log(`MPS control daemon started (pid ${daemon.controlPid ?? '?'}); logs in ${daemon.logDir}`);
        console.log(`  clients:  export CUDA_MPS_PIPE_DIRECTORY=${daemon.pipeDir}`);
        console.log(`  measure:  gpushare-micro --mode mps --mps-pipe ${daemon.pipeDir}`);
        console.log(`  stop:     gpushare-micro mps stop${flags.pipe ? ` --pipe ${daemon.pipeDir}` : ''}`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });

  pipeOption(mps.command('stop').description('stop the MPS control daemon listening in the pipe directory, and its servers'))
    .addHelpText('after', examples(['gpushare-micro mps stop --pipe /tmp/gsm-mps', 'stop the daemon started with that pipe directory']))
    .action(async (_flags: unknown, self: Command) => {
      const flags = givenOptions<{ pipe?: string }>(self);
      try {
        const status = await mpsStatus(pipeDirOf(flags.pipe));
        if (status.unverifiedPid !== undefined) {
          // A stale or forged pid file: the process it names is someone else's business.
          throw new OptionError(
            '--pipe',
            `the pipe directory of a running MPS control daemon (${status.reason}; nothing was signalled)`,
            flags.pipe ?? status.pipeDir,
          );
        }
        if (!status.running) {
          console.log(formatStatus(status));
          process.exitCode = EXIT.ok;
          return;
        }
        const daemon = { pipeDir: status.pipeDir, logDir: status.pipeDir, owned: true, ...(status.controlPid ? { controlPid: status.controlPid } : {}) };
        const r = await stopMpsDaemon(daemon);
        console.log(`MPS control daemon ${status.controlPid} stopped${r.forced ? ' (it did not quit when asked and was killed)' : ''}`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });

  pipeOption(mps.command('status').description('is a daemon running in the pipe directory; its servers and their clients'))
    .addOption(jsonOption('the status'))
    .addHelpText('after', examples(['gpushare-micro mps status', 'is a daemon running in the default pipe directory; its servers and clients']))
    .action(async (_flags: unknown, self: Command) => {
      const flags = givenOptions<{ pipe?: string; json?: string | boolean }>(self);
      try {
        const target = checkJsonTarget(flags.json);
        const status = await mpsStatus(pipeDirOf(flags.pipe));
        if (target?.to !== 'stdout') console.log(formatStatus(status));
        await writeJsonTarget(target, status);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
  return mps;
}
