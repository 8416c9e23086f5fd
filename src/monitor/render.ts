// How a monitor frame is printed: a compact screen for a terminal (runs in progress, bars, memory,
// power, clocks, throttle reasons, GPM, processes), one plain line per run, GPU and process when
// stdout is not a terminal, or one JSON object per frame.
import pc from 'picocolors';
import type { GpuFrame, MonitorFrame, ProcessFrame } from './frame.js';
import type { RunStatus } from './run-status.js';

const GPM_LABELS: Array<[keyof NonNullable<GpuFrame['gpm']>, string]> = [
  ['smActivityPct', 'SM active'],
  ['smOccupancyPct', 'occupancy'],
  ['tensorActivityPct', 'tensor'],
  ['dramBandwidthPct', 'DRAM'],
];

export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function memoryText(bytes: number): string {
  return bytes >= 2 ** 30 ? gib(bytes) : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** A bar of `width` cells filled to `pct` (0..100). */
export function bar(pct: number, width: number): string {
  const clamped = Math.min(100, Math.max(0, pct));
  const full = Math.round((clamped / 100) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function pctText(pct: number | undefined): string {
  return pct === undefined ? '  n/a' : `${pct.toFixed(0).padStart(4)}%`;
}

export interface ScreenOptions {
  /** Terminal width in columns. */
  width: number;
  color: boolean;
}

/** The terminal screen for one frame (no escape codes other than colours). */
export function renderScreen(frame: MonitorFrame, options: ScreenOptions): string {
  const c = pc.createColors(options.color);
  const width = Math.max(60, options.width);
  const barWidth = Math.max(10, Math.min(40, width - 40));
  const lines: string[] = [];
  const time = frame.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const cuda = frame.cudaDriverVersion ? ` · CUDA ${Math.floor(frame.cudaDriverVersion / 1000)}.${Math.floor((frame.cudaDriverVersion % 1000) / 10)}` : '';
  lines.push(c.bold(`gpushare-micro monitor · ${time} · driver ${frame.driverVersion ?? '?'}${cuda}`) + c.dim('  (Ctrl-C to quit)'));
  for (const r of frame.runs ?? []) lines.push(...runLines(r, c));
  for (const g of frame.gpus) {
    lines.push('');
    const facts: string[] = [];
    if (g.temperatureC !== undefined) facts.push(`${g.temperatureC} °C`);
    if (g.powerW !== undefined) facts.push(`${g.powerW.toFixed(0)}${g.powerLimitW !== undefined ? ` / ${g.powerLimitW.toFixed(0)}` : ''} W`);
    if (g.smClockMHz !== undefined) facts.push(`SM ${g.smClockMHz}${g.maxSmClockMHz ? `/${g.maxSmClockMHz}` : ''} MHz`);
    if (g.memClockMHz !== undefined) facts.push(`mem ${g.memClockMHz} MHz`);
    if (g.migEnabled !== undefined) facts.push(`MIG ${g.migEnabled ? 'on' : 'off'}`);
    lines.push(`${c.bold(c.cyan(`GPU ${g.index}`))} ${c.bold(g.name)} · ${facts.join(' · ')}`);
    if (g.utilizationGpuPct !== undefined) {
      const mem = g.utilizationMemoryPct !== undefined ? `   mem ctrl ${pctText(g.utilizationMemoryPct).trim()}` : '';
      lines.push(`  util    ${c.green(bar(g.utilizationGpuPct, barWidth))} ${pctText(g.utilizationGpuPct)}${mem}`);
    }
    if (g.memoryUsedBytes !== undefined && g.memoryTotalBytes) {
      const pct = (100 * g.memoryUsedBytes) / g.memoryTotalBytes;
      lines.push(`  memory  ${c.yellow(bar(pct, barWidth))} ${pctText(pct)}   ${gib(g.memoryUsedBytes)} / ${gib(g.memoryTotalBytes)}`);
    }
    if (g.gpm) {
      const parts = GPM_LABELS.filter(([k]) => g.gpm![k] !== undefined).map(([k, label]) => `${label} ${g.gpm![k]!.toFixed(1)}%`);
      lines.push(`  GPM     ${parts.join('   ')}`);
      const sm = g.gpm.smActivityPct;
      if (sm !== undefined) lines.push(`  SM act  ${c.magenta(bar(sm, barWidth))} ${pctText(sm)}`);
    } else if (g.gpmReason) {
      lines.push(c.dim(`  GPM     ${g.gpmReason}`));
    }
    if (g.throttleReasons !== undefined) {
      const text = g.throttleReasons.length === 0 ? 'none' : g.throttleReasons.join(', ');
      lines.push(`  clocks  ${g.clockLimited ? c.red(`limited: ${text}`) : c.dim(`not limited (${text})`)}`);
    }
    if (g.eccErrors && (g.eccErrors.corrected > 0 || g.eccErrors.uncorrected > 0)) {
      lines.push(c.red(`  ECC     ${g.eccErrors.corrected} corrected, ${g.eccErrors.uncorrected} uncorrected since the driver loaded`));
    }
    lines.push(...processLines(g, width, c));
  }
  return lines.join('\n');
}

const pct0 = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(0)}%`);

/** The process table of a GPU, with SM and memory utilisation columns where NVML reports them per process. */
function processLines(g: GpuFrame, width: number, c: ReturnType<typeof pc.createColors>): string[] {
  const lines: string[] = [];
  if (g.processes.length === 0) {
    lines.push(c.dim(g.processesReason ? `  processes: ${g.processesReason}` : '  no compute processes'));
    return lines;
  }
  const util = g.processUtilizationReported === true;
  lines.push(c.dim(`  ${'PID'.padStart(8)}  ${'MEMORY'.padStart(9)}  ${util ? 'SM%   MEM%  ' : ''}TYPE  COMMAND`));
  const commandWidth = Math.max(20, width - (util ? 42 : 30));
  for (const p of g.processes) {
    const mem = p.usedMemoryBytes !== undefined ? memoryText(p.usedMemoryBytes) : 'n/a';
    const cmd = p.command.length > commandWidth ? `${p.command.slice(0, commandWidth - 1)}…` : p.command;
    const use = util ? `${pct0(p.smUtilPct).padStart(4)}  ${pct0(p.memUtilPct).padStart(4)}  ` : '';
    lines.push(`  ${String(p.pid).padStart(8)}  ${mem.padStart(9)}  ${use}${(p.mps ? 'MPS' : 'C').padEnd(4)}  ${cmd}`);
  }
  if (g.processUtilizationReason) lines.push(c.dim(`  per-process SM use: ${g.processUtilizationReason}`));
  return lines;
}

/** A run in progress on screen: mode, clients and phase, then the figures it has measured (if any) on a line of their own. */
export function runLines(r: RunStatus, c: ReturnType<typeof pc.createColors>): string[] {
  const phase = r.phase === 'solo' ? `solo${r.role ? ` (${r.role})` : ''}` : r.phase;
  const facts = [r.mode, `${r.clients} client${r.clients === 1 ? '' : 's'}`, r.run !== undefined ? `${phase}, run ${r.run} of ${r.runs}` : phase];
  const lines = [`${c.bold(c.cyan(`run ${r.pid}`))} ${facts.join(' · ')}`];
  const m = r.measured;
  const figures: string[] = [];
  if (m?.switchesPerSecond !== undefined) figures.push(`${m.switchesPerSecond.toFixed(0)} switches/s`);
  if (m?.worstSlowdown !== undefined) figures.push(`worst slowdown ${m.worstSlowdown.toFixed(2)}×`);
  if (m?.worstP99VsSolo !== undefined) figures.push(`worst p99 ${m.worstP99VsSolo.toFixed(2)}× solo`);
  if (figures.length > 0) lines.push(`  measured${m?.run !== undefined ? ` (run ${m.run})` : ''}: ${figures.join(' · ')}`);
  return lines;
}

function kv(key: string, value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : `${key}=${value}`;
}

function processFields(p: ProcessFrame): string {
  const mem = p.usedMemoryBytes !== undefined ? ` mem=${Math.round(p.usedMemoryBytes / 2 ** 20)}MiB` : '';
  const sm = p.smUtilPct !== undefined ? ` sm=${p.smUtilPct.toFixed(0)}%` : '';
  const memUtil = p.memUtilPct !== undefined ? ` mem_util=${p.memUtilPct.toFixed(0)}%` : '';
  return `${mem}${sm}${memUtil}${p.mps ? ' mps' : ''}`;
}

/** Plain lines: one per run in progress, then one per GPU followed by one per process, each starting with the frame's time. */
export function renderPlain(frame: MonitorFrame): string {
  const lines: string[] = [];
  for (const r of frame.runs ?? []) {
    const m = r.measured;
    const parts = [
      frame.at,
      `run=${r.pid}`,
      `mode=${r.mode}`,
      `clients=${r.clients}`,
      `phase=${r.phase}`,
      kv('role', r.phase === 'solo' ? r.role : undefined),
      kv('run_index', r.run !== undefined ? `${r.run}/${r.runs}` : undefined),
      kv('switch_rate', m?.switchesPerSecond !== undefined ? `${m.switchesPerSecond.toFixed(1)}/s` : undefined),
      kv('worst_slowdown', m?.worstSlowdown?.toFixed(3)),
      kv('worst_p99_vs_solo', m?.worstP99VsSolo?.toFixed(3)),
    ];
    lines.push(parts.filter((p) => p !== undefined).join(' '));
  }
  for (const g of frame.gpus) {
    const parts = [
      frame.at,
      `gpu=${g.index}`,
      kv('util', g.utilizationGpuPct !== undefined ? `${g.utilizationGpuPct}%` : undefined),
      kv('mem_util', g.utilizationMemoryPct !== undefined ? `${g.utilizationMemoryPct}%` : undefined),
      kv(
        'mem',
        g.memoryUsedBytes !== undefined && g.memoryTotalBytes !== undefined
          ? `${(g.memoryUsedBytes / 2 ** 30).toFixed(1)}/${(g.memoryTotalBytes / 2 ** 30).toFixed(1)}GiB`
          : undefined,
      ),
      kv('power', g.powerW !== undefined ? `${g.powerW.toFixed(0)}W` : undefined),
      kv('temp', g.temperatureC !== undefined ? `${g.temperatureC}C` : undefined),
      kv('sm_clock', g.smClockMHz !== undefined ? `${g.smClockMHz}MHz` : undefined),
      kv('mem_clock', g.memClockMHz !== undefined ? `${g.memClockMHz}MHz` : undefined),
      kv('throttle', g.throttleReasons ? (g.throttleReasons.length ? g.throttleReasons.join('+') : 'none') : undefined),
      kv('sm_active', g.gpm?.smActivityPct !== undefined ? `${g.gpm.smActivityPct.toFixed(1)}%` : undefined),
      kv('sm_occupancy', g.gpm?.smOccupancyPct !== undefined ? `${g.gpm.smOccupancyPct.toFixed(1)}%` : undefined),
      kv('tensor', g.gpm?.tensorActivityPct !== undefined ? `${g.gpm.tensorActivityPct.toFixed(1)}%` : undefined),
      kv('dram', g.gpm?.dramBandwidthPct !== undefined ? `${g.gpm.dramBandwidthPct.toFixed(1)}%` : undefined),
      `procs=${g.processes.length}`,
    ];
    lines.push(parts.filter((p) => p !== undefined).join(' '));
    for (const p of g.processes) lines.push(`${frame.at} gpu=${g.index} pid=${p.pid}${processFields(p)} cmd=${JSON.stringify(p.command)}`);
  }
  return lines.join('\n');
}

/** One JSON object per frame, on one line. */
export function renderJson(frame: MonitorFrame): string {
  return JSON.stringify(frame);
}
