// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD),
// one fused native update per parameter (native/include/textkernels/math/optim.h).
import { native } from '../native';
import { Tensor } from '../tensor';
import { checkFlag, checkHyper, Optimizer, ParamGroup, ParamsInput, ParamState } from './optimizer';
import { checkOptions } from '../errors';

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
 * nesterov; param -= lr * g. State per parameter: { momentumBuffer } (null without momentum).
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

  protected updateParam(p: Tensor, grad: Float32Array, state: ParamState, g: ParamGroup<SGDOptions>): void {
    let buf = state.momentumBuffer as Float32Array | null;
    const first = buf === null;
    if (g.momentum !== 0 && buf === null) {
      buf = new Float32Array(p.size);
      state.momentumBuffer = buf;
    }
    native.sgdUpdate(
      p.f32,
      grad,
      g.momentum !== 0 ? buf : null,
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
