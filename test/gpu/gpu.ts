// Shared by the GPU tests: is there a usable GPU here, and if not, why (printed once per file).
import type { NativeBinding } from '../../src/binding/contract.js';
import { loadBinding } from '../../src/binding/loader.js';

export interface GpuCheck {
  binding?: NativeBinding;
  available: boolean;
  reason: string;
  smCount: number;
}

export async function checkGpu(file: string): Promise<GpuCheck> {
  let binding: NativeBinding;
  try {
    binding = loadBinding();
  } catch (error) {
    const reason = `native addon not loadable: ${(error as Error).message.split('\n')[0]}`;
    console.warn(`[skip] ${file}: ${reason}`);
    return { available: false, reason, smCount: 0 };
  }
  const cuda = await binding.cudaDevices();
  if (!cuda.available) {
    const reason = `no GPU: ${cuda.error?.cudaError ?? cuda.error?.code ?? 'no device'}`;
    console.warn(`[skip] ${file}: ${reason}`);
    return { binding, available: false, reason, smCount: 0 };
  }
  return { binding, available: true, reason: '', smCount: cuda.devices[0]!.smCount };
}
