#!/usr/bin/env node
// Where a recorded run's steps spend their GPU time, from its CUPTI kernel records (a run made with
// --cupti): for each phase (solo baselines, then shared) and client, over its kernels after the first
// 20 % (warm-up), the share of their span in which one of them ran (alone: how busy the client kept
// the GPU), the gaps between consecutive kernels, and the kernels by time per step (a step is one
// launch of the client's workload). Not shipped in the npm
// package; docs/results pages cite it.
//   node scripts/kernel-stats.mjs RUN.json[.gz] [--top N]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const args = process.argv.slice(2);
let file;
let top = 14;
let bad = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (!args[i].startsWith('--') && file === undefined) file = args[i];
  else bad = true;
}
if (bad || !file || !Number.isInteger(top) || top < 1) {
  console.error('usage: node scripts/kernel-stats.mjs RUN.json[.gz] [--top N]  (N: a whole number of kernels, 1 or more)');
  process.exit(2);
}
let run;
try {
  const bytes = readFileSync(file);
  run = JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString());
} catch (e) {
  console.error(`kernel-stats: cannot read ${file} as a run's JSON: ${e.message}`);
  process.exit(2);
}

const at = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const us = (ns) => (ns / 1e3).toFixed(1);
const phases = [...(run.baselines ?? []).map((b) => ['solo', b.phase]), ['shared', run.shared]];
let printed = 0;
for (const [label, phase] of phases) {
  for (const c of phase?.clients ?? []) {
    const k = c.kernelActivity;
    const name = `[${label}] client ${c.client}${c.role ? ` (${c.role})` : ''}`;
    if (!k?.kernels || k.kernels.startNs.length < 2 || !(c.launches > 0)) {
      console.log(`${name}: no CUPTI kernel records${k?.reason ? ` (${k.reason})` : ' (run with --cupti)'}`);
      continue;
    }
    const { startNs, endNs, nameIndex } = k.kernels;
    const order = [...startNs.keys()].sort((a, b) => startNs[a] - startNs[b]);
    const used = order.slice(Math.floor(order.length * 0.2));
    const steps = (c.launches * used.length) / order.length;
    let busy = 0;
    let end = -Infinity;
    const gaps = [];
    for (const i of used) {
      if (end > -Infinity) gaps.push(Math.max(0, startNs[i] - end));
      busy += Math.max(0, endNs[i] - Math.max(startNs[i], end));
      end = Math.max(end, endNs[i]);
    }
    const span = end - startNs[used[0]];
    gaps.sort((a, b) => a - b);
    const byName = new Map();
    for (const i of used) {
      const kernel = k.names[nameIndex[i]];
      const entry = byName.get(kernel) ?? { count: 0, ns: 0 };
      entry.count++;
      entry.ns += endNs[i] - startNs[i];
      byName.set(kernel, entry);
    }
    console.log(
      `${name}: ${c.launches} steps, ${order.length} kernels (${(order.length / c.launches).toFixed(1)} a step); ` +
        `its kernels running ${((100 * busy) / span).toFixed(1)}% of their span, ${us(busy / steps)} of ${us(span / steps)} us a step`,
    );
    console.log(
      `  gaps between kernels: p10 ${us(at(gaps, 0.1))}, p50 ${us(at(gaps, 0.5))}, p90 ${us(at(gaps, 0.9))}, ` +
        `p99 ${us(at(gaps, 0.99))} us; ${us(gaps.reduce((a, b) => a + b, 0) / steps)} us a step in all`,
    );
    for (const [kernel, e] of [...byName].sort((a, b) => b[1].ns - a[1].ns).slice(0, top)) {
      console.log(
        `  ${us(e.ns / steps).padStart(9)} us a step  ${(e.count / steps).toFixed(1).padStart(6)} a step  ${us(e.ns / e.count).padStart(8)} us each  ${kernel}`,
      );
    }
    printed++;
  }
}
if (printed === 0) process.exitCode = 1;
