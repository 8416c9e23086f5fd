// scripts/kernel-stats.mjs, the CUPTI view the results pages cite, on the recorded H200 example (4 gemm
// clients under time slicing with --cupti): one block per client with its kernels' figures; bad input
// is one line and exit status 2.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const script = `${root}scripts/kernel-stats.mjs`;

describe('scripts/kernel-stats.mjs', () => {
  it("prints each client's kernels: busy share, gaps, the kernels by time per step", async () => {
    const { stdout } = await run(process.execPath, [script, `${root}examples/h200-gemm-p4/timeslice.json.gz`, '--top', '1']);
    const heads = stdout.split('\n').filter((l) => l.startsWith('[shared] client '));
    expect(heads).toHaveLength(4);
    for (const line of heads) {
      const m = /: (\d+) steps, (\d+) kernels .* running ([\d.]+)% of their span, ([\d.]+) of ([\d.]+) us a step/.exec(line);
      expect(m, line).not.toBeNull();
      const [, steps, kernels, busy, busyUs, spanUs] = m!.map(Number);
      expect(kernels).toBeGreaterThanOrEqual(steps!); // a gemm launch is one kernel, plus the clock reads
      expect(busy).toBeGreaterThan(50); // time slicing: a client's gemm runs alone for most of its span
      expect(busy).toBeLessThanOrEqual(100);
      expect(busyUs).toBeLessThanOrEqual(spanUs!);
    }
    // The top kernel of each client is the gemm (wgmma on the H200).
    expect(stdout.match(/us each {2}void gsm::gemm::.*wgmmaGemmKernel/g)).toHaveLength(4);
  });

  it('rejects a missing file or a bad --top with one line and exit status 2', async () => {
    for (const args of [['/nonexistent/run.json'], [`${root}examples/h200-gemm-p4/timeslice.json.gz`, '--top', '0'], []]) {
      const err = await run(process.execPath, [script, ...args]).catch((e: { code: number; stderr: string }) => e);
      expect(err).toMatchObject({ code: 2 });
      expect((err as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
