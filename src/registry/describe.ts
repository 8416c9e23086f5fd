// A model workload's memory need in one clause, for the run's memory check and `--list`.
import type { ClientSpec } from '../clients/spec.js';
import { describeWorkloadShape, isWorkload, workloadImpl, workloadMemory } from './workloads.js';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** "resnet50-train batch 128, input 32 needs ~3.1 GiB (weights ..., activations ..., gradients ..., optimizer state ...)"; undefined for a kernel. */
export function formatWorkloadMemory(spec: Pick<ClientSpec, 'kernel' | 'shape'> & Partial<Pick<ClientSpec, 'impl'>>): string | undefined {
  if (!isWorkload(spec.kernel)) return undefined;
  const m = workloadMemory(spec.kernel, spec.shape, workloadImpl(spec.impl));
  const parts = [`weights ${gib(m.weights)}`, `activations ${gib(m.activations)}`];
  if (m.gradients > 0) parts.push(`gradients ${gib(m.gradients)}`);
  if (m.optimizer > 0) parts.push(`optimizer state ${gib(m.optimizer)}`);
  if (m.cache > 0) parts.push(`KV cache ${gib(m.cache)}`);
  return `${spec.kernel} ${describeWorkloadShape(spec.kernel, spec.shape)} needs ~${gib(m.total)} (${parts.join(', ')})`;
}
