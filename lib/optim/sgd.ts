// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD),
// one fused native update per parameter (native/include/textkernels/math/optim.h).
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
    sgdUpdate(
      param: Float32Array,
      grad: Float32Array,
      buf: Float32Array | null,
      lr: number,
      momentum: number,
      dampening: number,
      weightDecay: number,
      nesterov: boolean,
      maximize: boolean,
      firstStep: boolean,
    ): void;
  }
}

declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    sgdUpdate: OnDevice<NativeAddon['sgdUpdate']>;
  }
}

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * torch.optim.SGD: g = grad (+ weightDecay * param); with momentum, buf = momentum * buf +
 * (1 - dampening) * g (buf = g on the first step) and g = buf, or g + momentum * buf with
 * nesterov; param -= lr * g. State per parameter: { momentumBuffer } (null without momentum), on the
 * parameter's device; the update runs there (native.sgdUpdate or its device twin).
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    options = checkOptions('options', options);
    super(params, {
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      ...options,
    });
  }

  protected validateGroup(g: SGDOptions): void {
    checkHyper('learning rate', g.lr, 0);
    checkHyper('momentum', g.momentum, 0);
    checkHyper('dampening', g.dampening, -Infinity);
    checkHyper('weightDecay', g.weightDecay, 0);
    checkFlag('nesterov', g.nesterov);
    checkFlag('maximize', g.maximize);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected initState(): ParamState {
    return { momentumBuffer: null };
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<SGDOptions>): void {
    let buf = state.momentumBuffer as StateBuffer | null;
    const first = buf === null;
    if (g.momentum !== 0 && buf === null) {
      buf = zeroStateBuffer(p.device, p.size);
      state.momentumBuffer = buf;
    }
    const b = g.momentum !== 0 && buf !== null ? kernelArgOf(buf) : null;
    if (p.device === 'cuda') {
      cudaKernels().sgdUpdate(
        p.buffer,
        grad.buffer,
        b as DeviceBuffer | null,
        g.lr,
        g.momentum,
        g.dampening,
        g.weightDecay,
        g.nesterov,
        g.maximize,
        first,
      );
    } else {
      native.sgdUpdate(
        p.f32,
        grad.f32,
        b as Float32Array | null,
        g.lr,
        g.momentum,
        g.dampening,
        g.weightDecay,
        g.nesterov,
        g.maximize,
        first,
      );
    }
  }
}
