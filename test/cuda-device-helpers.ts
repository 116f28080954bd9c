// Device tensors in the tests: the emulated CUDA addon's `cuda` exports (cuda/binding/*.cc compiled
// against cuda/emu by test/cuda-emu/build.js, built by test/global-setup.js) installed as the device
// backend, so every op's device path runs, kernel by kernel, on the CPU. The same test files run on
// a real GPU under `npm run test:cuda`.
import * as path from 'path';

import {
  cudaAvailable,
  cudaIsEmulated,
  cudaUnavailableReason,
  DeviceAddon,
  installDeviceBackend,
} from '../lib/cuda/runtime';
import { Tensor } from '../lib/tensor';
import { expectClose } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const emuBuild = require('./cuda-emu/build.js') as { hasCompiler(): boolean; OUT: string };

export interface EmulatorControl {
  configure(c: { seed?: number; alignEnd?: boolean; shuffleBlocks?: boolean; atomicYield?: number }): void;
  cuda: DeviceAddon;
}

export const emulatorPresent = emuBuild.hasCompiler();

let emulator: EmulatorControl | null = null;

/**
 * `npm run test:cuda` (scripts/test-cuda.js) sets TEXTKERNELS_TEST_DEVICE=cuda: the same tests then
 * run on the GPU through the CUDA build instead of the emulator, and fail, not skip, without one.
 */
export const onRealDevice = process.env.TEXTKERNELS_TEST_DEVICE === 'cuda';

/**
 * Installs the emulated device as tk's CUDA backend; null (and a message) where it cannot be built.
 * Under `npm run test:cuda` it checks that the real GPU is the backend instead.
 */
export function useEmulatedDevice(): EmulatorControl | null {
  if (onRealDevice) {
    if (!cudaAvailable() || cudaIsEmulated()) {
      throw new Error(`npm run test:cuda needs a GPU and the CUDA build: ${cudaUnavailableReason() || 'emulated'}`);
    }
    return null;
  }
  if (!emulatorPresent) {
    console.log('cuda-device: SKIPPED: no C++ compiler (g++ or $CXX) to build the emulated CUDA backend');
    return null;
  }
  if (!emulator) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    emulator = require(path.join(emuBuild.OUT, 'default', 'cuda_emu.node')) as EmulatorControl;
  }
  installDeviceBackend(emulator.cuda);
  return emulator;
}

/**
 * Runs fn under several emulator thread orders (as test/cuda-emulated.test.ts does): lowest thread
 * first, highest first, random priorities, random switches, with buffers against the upper or the
 * lower guard page; a kernel with a missing __syncthreads() gives a different result under one of
 * them. Restores the default order afterwards.
 */
export function underEmulatorOrders(fn: (order: string) => void): void {
  if (onRealDevice) {
    fn('GPU');
    return;
  }
  const emu = emulator;
  if (!emu) throw new Error('underEmulatorOrders: call useEmulatedDevice() first');
  const orders = [
    { seed: 0, alignEnd: true },
    { seed: 1, alignEnd: false },
    { seed: 7, alignEnd: true },
    { seed: 4242, alignEnd: false },
  ];
  try {
    for (const o of orders) {
      emu.configure({ ...o, shuffleBlocks: true });
      fn(`seed ${o.seed}, ${o.alignEnd ? 'end' : 'start'}-aligned`);
    }
  } finally {
    emu.configure({ seed: 0, alignEnd: true, shuffleBlocks: true });
  }
}

/** describe, or describe.skip where the emulated backend cannot be built (never under test:cuda). */
export const deviceDescribe = emulatorPresent || onRealDevice ? describe : describe.skip;

/**
 * Runs `build` on the CPU and on the device with the same inputs (each input moved there as a
 * leaf), and compares the outputs and, when `backward` is set, the inputs' gradients after
 * output.backward(weights) with the same fixed weights on both. Returns the two outputs.
 */
export function compareDevices(
  label: string,
  inputs: Tensor[],
  build: (...xs: Tensor[]) => Tensor,
  opts: { atol?: number; rtol?: number; backward?: boolean } = {},
): { cpu: Tensor; cuda: Tensor } {
  const tol = { atol: opts.atol ?? 1e-5, rtol: opts.rtol ?? 1e-5 };
  const leaves = (device: 'cpu' | 'cuda'): Tensor[] =>
    inputs.map((x) => {
      const t = new Tensor(x.data.slice(), x.shape, { device });
      if (opts.backward && x.dtype === 'float32' && x.requiresGrad) t.setRequiresGrad(true);
      return t;
    });
  const xc = leaves('cpu');
  const xd = leaves('cuda');
  const yc = build(...xc);
  const yd = build(...xd);
  expect(yd.device).toBe('cuda');
  expect(yd.shape).toEqual(yc.shape);
  expectClose(yd.cpu().data, yc.data, tol, `${label}: output`);
  if (opts.backward) {
    const w = new Float32Array(yc.size).map((_, i) => ((i * 7919) % 13) / 6 - 1);
    yc.backward(new Tensor(w, yc.shape));
    yd.backward(new Tensor(w.slice(), yd.shape, { device: 'cuda' }));
    xc.forEach((x, i) => {
      if (!x.requiresGrad) return;
      const gd = xd[i].grad;
      expect(gd).not.toBeNull();
      expect((gd as Tensor).device).toBe('cuda');
      expectClose((gd as Tensor).cpu().data, (x.grad as Tensor).data, tol, `${label}: grad of input ${i}`);
    });
  }
  return { cpu: yc, cuda: yd };
}
