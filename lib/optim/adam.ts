// Adam and AdamW (torch.optim.Adam, AdamW) with amsgrad and maximize, one fused native update per
// parameter (native/include/textkernels/math/optim.h).
import { cudaKernels, DeviceBuffer } from '../cuda/runtime';
import { native } from '../native';
import { Tensor } from '../tensor';
import {
  checkFlag,
  checkHyper,
  kernelArgOf,
  Optimizer,
  ParamGroup,
  ParamsInput,
  ParamState,
  StateBuffer,
  zeroStateBuffer,
} from './optimizer';
import { checkOptions } from '../errors';
import type { NativeAddon } from '../native';
import type { OnDevice } from '../cuda/runtime';

declare module '../native' {
  interface NativeAddon {
    adamUpdate(
      param: Float32Array,
      grad: Float32Array,
      expAvg: Float32Array,
      expAvgSq: Float32Array,
      maxExpAvgSq: Float32Array | null,
      lr: number,
      beta1: number,
      beta2: number,
      eps: number,
      weightDecay: number,
      step: number,
      amsgrad: boolean,
      maximize: boolean,
      decoupled: boolean,
    ): void;
  }
}

declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    adamUpdate: OnDevice<NativeAddon['adamUpdate']>;
  }
}

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected validateGroup(g: AdamOptions): void {
    checkHyper('learning rate', g.lr, 0);
    checkHyper('epsilon', g.eps, 0);
    if (!Array.isArray(g.betas) || g.betas.length !== 2) {
      throw new TypeError(`betas must be an array of two numbers, got ${JSON.stringify(g.betas)}`);
    }
    checkHyper('beta parameter at index 0', g.betas[0], 0, 1);
    checkHyper('beta parameter at index 1', g.betas[1], 0, 1);
    checkHyper('weight_decay', g.weightDecay, 0);
    checkFlag('amsgrad', g.amsgrad);
    checkFlag('maximize', g.maximize);
    g.betas = [g.betas[0], g.betas[1]];
  }

  protected initState(p: Tensor, g: ParamGroup<AdamOptions>): ParamState {
    const s: ParamState = {
      step: 0,
      expAvg: zeroStateBuffer(p.device, p.size),
      expAvgSq: zeroStateBuffer(p.device, p.size),
    };
    if (g.amsgrad) s.maxExpAvgSq = zeroStateBuffer(p.device, p.size);
    return s;
  }

  protected updateParam(p: Tensor, grad: Tensor, s: ParamState, g: ParamGroup<AdamOptions>): void {
    const isBuffer = (v: unknown): v is StateBuffer => v instanceof Float32Array || v instanceof Tensor;
    if (g.amsgrad && !isBuffer(s.maxExpAvgSq)) s.maxExpAvgSq = zeroStateBuffer(p.device, p.size);
    const step = (s.step as number) + 1;
    const m = kernelArgOf(s.expAvg as StateBuffer);
    const v = kernelArgOf(s.expAvgSq as StateBuffer);
    const vMax = g.amsgrad ? kernelArgOf(s.maxExpAvgSq as StateBuffer) : null;
    if (p.device === 'cuda') {
      cudaKernels().adamUpdate(
        p.buffer,
        grad.buffer,
        m as DeviceBuffer,
        v as DeviceBuffer,
        vMax as DeviceBuffer | null,
        g.lr,
        g.betas[0],
        g.betas[1],
        g.eps,
        g.weightDecay,
        step,
        g.amsgrad,
        g.maximize,
        this.decoupled,
      );
    } else {
      native.adamUpdate(
        p.f32,
        grad.f32,
        m as Float32Array,
        v as Float32Array,
        vMax as Float32Array | null,
        g.lr,
        g.betas[0],
        g.betas[1],
        g.eps,
        g.weightDecay,
        step,
        g.amsgrad,
        g.maximize,
        this.decoupled,
      );
    }
    s.step = step;
  }
}

/**
 * torch.optim.Adam (lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 as an L2 term added to
 * the gradient). State per parameter: { step, expAvg, expAvgSq, maxExpAvgSq (amsgrad) }, its buffers
 * on the parameter's device, where the update runs (native.adamUpdate or its device twin).
 */
export class Adam extends AdamBase {
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    options = checkOptions('options', options);
    super(params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay param *= 1 - lr * weightDecay (default 1e-2). */
export class AdamW extends AdamBase {
  protected readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    options = checkOptions('options', options);
    super(params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 1e-2,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }
}
