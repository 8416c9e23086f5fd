// Measures `gpushare-micro --kernel gemm --procs 4 --mode M` (2 s per phase, saturating) for M =
// timeslice, mps with the report branch's build, and writes each JSON result and text table under $OUT.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './dist/run.js';
import { writeJsonAtomic } from './dist/report/json.js';
import { formatRunResult } from './dist/report/table.js';

const out = process.env.OUT;
for (const mode of ['timeslice', 'mps']) {
  const began = Date.now();
  const name = `gemm-p4-${mode}`;
  try {
    const command = ['gpushare-micro', '--kernel', 'gemm', '--procs', '4', '--mode', mode, '--duration', '2s', '--json', `${name}.json`];
    const result = await run({ kernel: 'gemm', procs: 4, mode, duration: '2s' }, { command });
    await writeJsonAtomic(join(out, `${name}.json`), result);
    writeFileSync(join(out, `${name}.txt`), `$ ${command.join(' ')}\n${formatRunResult(result)}\n`);
    console.log(formatRunResult(result));
    const o = result.shared.occupancy;
    if (o) console.log(`${mode} occupancy: window ${(o.windowEndNs - o.windowStartNs) / 1e6} ms, clipped ${o.clippedToSlices}, shares ${o.share.map((s) => s.toFixed(4)).join(' ')}, busy ${o.busy.toFixed(4)}, idle ${o.idle.toFixed(4)}, rows ${o.timeline.rows.length}, bins ${o.timeline.bins} of ${o.timeline.binNs} ns`);
  } catch (error) {
    console.log(`${mode}: ${error?.stack ?? error}`);
  }
  console.log(`${mode}: wall ${((Date.now() - began) / 1000).toFixed(1)} s`);
}
