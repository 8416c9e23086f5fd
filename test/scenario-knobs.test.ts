import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import { parseKnobSweep, tradeOff } from '../src/scenario/knobs.js';
import type { ScenarioRole } from '../src/scenario/scenario.js';
import { P99_5MS, scenarioRun } from './fixtures/scenario-runs.js';

const roles: ScenarioRole[] = [
  { client: { role: 'train', kernel: 'gemm' }, knobs: { green: { sms: 66 } } },
  { client: { role: 'infer', kernel: 'attention', loop: 'open', arrival: 'poisson:2000/s', slo: 'p99<=5ms' }, knobs: { mps: { mpsThreads: 50 } } },
];
const modes = ['timeslice', 'mps', 'streams', 'green'] as const;

function error(raw: unknown, inRoles = roles, inModes: readonly (typeof modes)[number][] = modes): OptionError {
  try {
    parseKnobSweep(raw, inRoles, inModes);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    expect((e as Error).message).not.toContain('\n');
    return e as OptionError;
  }
  throw new Error(`no error for ${String(raw)}`);
}

describe('parseKnobSweep', () => {
  it('sweeps mps-threads under mps only; the other modes run once as the scenario has them', () => {
    const sweep = parseKnobSweep('infer.mps-threads=25,50,100', roles, modes);
    expect(sweep).toMatchObject({ role: 'infer', knob: 'mps-threads', values: [25, 50, 100], modes: ['mps'] });
    expect(sweep.plan.map((p) => [p.mode, p.steps.length])).toEqual([
      ['timeslice', 1],
      ['mps', 3],
      ['streams', 1],
      ['green', 1],
    ]);
    expect(sweep.plan[1]!.steps[0]).toEqual({ knobs: { 'infer.mps-threads': 25 }, options: { mpsThreads: 25 } });
    expect(sweep.plan[0]!.steps[0]).toEqual({ knobs: {}, options: {} });
  });

  it('sweeps a priority under streams and green, and SMs under green', () => {
    const priority = parseKnobSweep('infer.priority=high,low,-3', roles, modes);
    expect(priority.values).toEqual(['high', 'low', -3]);
    expect(priority.modes).toEqual(['streams', 'green']);
    expect(priority.plan[3]!.steps[2]).toEqual({ knobs: { 'infer.priority': -3 }, options: { priority: -3 } });
    const withSms: ScenarioRole[] = [roles[0]!, { ...roles[1]!, knobs: { green: { sms: 66 } } }];
    const sms = parseKnobSweep('train.sms=33,66,99', withSms, modes);
    expect(sms.modes).toEqual(['green']);
    expect(sms.plan[3]!.steps.map((s) => s.options)).toEqual([{ sms: 33 }, { sms: 66 }, { sms: 99 }]);
    expect(parseKnobSweep('infer.mps-mem=512M, 4G', roles, ['mps']).values).toEqual(['512M', '4G']);
  });

  it('rejects unknown roles and knobs, values out of range, and knobs no chosen mode takes, in one line', () => {
    expect(error('infer').message).toContain('ROLE.KNOB=V1,V2');
    expect(error(42).message).toContain('ROLE.KNOB=V1,V2');
    expect(error('notebook.mps-threads=25,50').message).toContain('a role of the scenario (train, infer) before the dot');
    expect(error('infer.threads=25,50').message).toContain('a knob among mps-threads, mps-mem, priority, sms after the dot');
    expect(error('infer.mps-threads=0,50').message).toContain('mps-threads values: a number in 1..100');
    expect(error('infer.mps-threads=50,101').message).toContain('a number in 1..100');
    expect(error('train.sms=33,1.5').message).toContain('sms values: an integer in 1..100000');
    expect(error('train.sms=-1,33').message).toContain('sms values');
    expect(error('infer.priority=high,urgent').message).toContain('priority values: high, low or integers');
    expect(error('infer.mps-mem=1K,4G').message).toContain('mps-mem values: a size from 1M');
    expect(error('infer.mps-threads=25,50', roles, ['timeslice', 'streams']).message).toContain(
      'a knob of a mode chosen (mps-threads is taken by mps; the modes are timeslice, streams)',
    );
    expect(error('infer.sms=33,66', roles, ['mps']).message).toContain('sms is taken by green');
    expect(error('infer.mps-threads=25').message).toContain('2 to 8 values');
    expect(error('infer.mps-threads=1,2,3,4,5,6,7,8,9').message).toContain('2 to 8 values');
    expect(error('infer.mps-threads=25,25').message).toContain('each value once');
    expect(error('infer.mps-threads=25,,50').message).toContain('2 to 8 values after =, separated by commas');
  });

  it('needs the other roles SMs under green to sweep one role SMs', () => {
    expect(error('train.sms=33,66').message).toContain('sms of every other role under green in the scenario (infer has none');
  });
});

describe('tradeOff', () => {
  it('tabulates a three-value sweep against each role vs alone and p99, with the SLOs and the mode as the scenario has it', () => {
    const run = (threads: number | undefined, train: number, p99: number) =>
      scenarioRun({
        mode: 'mps',
        ...(threads !== undefined ? { knobs: { 'infer.mps-threads': threads } } : {}),
        roles: {
          train: { vsSolo: train, p99: 40 },
          infer: { vsSolo: 1, p99, slo: [{ slo: P99_5MS, ms: p99, attainment: p99 <= 5 ? 0.995 : 0.9 }] },
        },
      });
    const runs = [run(undefined, 0.85, 3.5), run(25, 0.95, 7), run(50, 0.9, 4), run(100, 0.8, 2), run(100, 0.82, 2.2)];
    runs.push(scenarioRun({ mode: 'timeslice', roles: { train: { vsSolo: 0.5 }, infer: { vsSolo: 1 } } }));
    const lines = tradeOff(runs);
    expect(lines[0]).toBe('Trade-off under mps (infer.mps-threads):');
    const text = lines.join('\n');
    expect(text).toContain('train vs alone');
    expect(text).toContain('infer p99');
    const row = (label: string) => lines.find((l) => l.includes(` ${label} `))!;
    expect(row('as in the scenario')).toMatch(/0\.85×.*40\.0 ms.*1\.00×.*3\.50 ms.*SLOs met/);
    expect(row('25')).toMatch(/0\.95×.*7\.00 ms.*SLO missed \(infer p99\)/);
    expect(row('50')).toMatch(/0\.90×.*4\.00 ms.*SLOs met/);
    // The two runs of 100: medians (0.80 + 0.82) / 2 = 0.81 and (2 + 2.2) / 2 = 2.1 ms.
    expect(row('100')).toMatch(/0\.81×.*2\.10 ms.*SLOs met in 2 of 2 runs; median of 2 runs/);
    expect(text).not.toContain('timeslice');
  });

  it('is empty without a knob sweep', () => {
    expect(tradeOff([scenarioRun({ mode: 'mps', roles: { train: { vsSolo: 1 } } })])).toEqual([]);
  });
});
