// Learning-rate schedulers (torch.optim.lr_scheduler), stepped once per epoch after
// optimizer.step(). Each reproduces torch's chainable (recursive) formulas, so the sequences agree
// with torch's in double precision; step(epoch) with an explicit epoch uses the closed forms, as
// torch does. Constructing a scheduler sets each group's initialLr and performs the initial step
// (epoch 0), as torch does.
import { checkInt, checkOptions, typeError } from '../errors';
import { BaseOptions, Optimizer } from './optimizer';

export type SchedulerState = Record<string, number | number[] | string | boolean | null | Record<string, number>>;

type AnyOptimizer = Optimizer<BaseOptions>;

function checkOptimizer(optimizer: unknown): AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) throw typeError('optimizer', 'a tk.optim Optimizer', optimizer);
  return optimizer as AnyOptimizer;
}

export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  baseLrs: number[];
  lastEpoch: number;
  protected stepCount = 0;
  protected isInitial = false;
  protected lastLr: number[] = [];

  constructor(optimizer: Optimizer<BaseOptions>, lastEpoch = -1) {
    this.optimizer = checkOptimizer(optimizer);
    checkInt('lastEpoch', lastEpoch, -1);
    if (lastEpoch === -1) {
      for (const g of this.optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      this.optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new RangeError(
            `param 'initialLr' is not specified in paramGroups[${i}] when resuming scheduler with lastEpoch >= 0`,
          );
        }
      });
    }
    this.baseLrs = this.optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** Subclasses call this at the end of their constructor (torch's _initial_step). */
  protected initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** The learning rates for lastEpoch, from the groups' current ones (chainable form). */
  protected abstract getLr(): number[];

  /** The learning rates for lastEpoch from the base ones, when a subclass has a closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Advances one epoch (or jumps to `epoch`, using the closed form where there is one). */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = checkInt('epoch', epoch, 0);
      values = this.closedFormLr() ?? this.getLr();
    }
    const groups = this.optimizer.paramGroups;
    if (values.length !== groups.length) throw new Error('internal: scheduler computed the wrong number of rates');
    groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.groupLrs();
  }

  /** The learning rates set by the last step, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** Everything but the optimizer: plain JSON. */
  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer') continue;
      out[k] = Array.isArray(v) ? v.slice() : v && typeof v === 'object' ? { ...v } : v;
    }
    return out;
  }

  loadStateDict(state: SchedulerState): void {
    if (state === null || typeof state !== 'object') throw typeError('state', 'a scheduler state dict', state);
    for (const [k, v] of Object.entries(state)) {
      if (k === 'optimizer') continue;
      if (!(k in this)) throw new RangeError(`unknown key '${k}' in a ${this.constructor.name} state dict`);
      (this as unknown as Record<string, unknown>)[k] = Array.isArray(v)
        ? v.slice()
        : v && typeof v === 'object'
          ? { ...v }
          : v;
    }
  }
}

/** Multiplies the rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, stepSize: number, gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.stepSize = checkInt('stepSize', stepSize, 1);
    this.gamma = checkFinite('gamma', gamma);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies the rate by gamma at each milestone epoch (a repeated milestone counts twice). */
export class MultiStepLR extends LRScheduler {
  milestones: Record<string, number>;
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, milestones: number[], gamma = 0.1, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!Array.isArray(milestones)) throw typeError('milestones', 'an array of integers', milestones);
    this.milestones = {};
    milestones.forEach((m, i) => {
      checkInt(`milestones[${i}]`, m, 0);
      this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    });
    this.gamma = checkFinite('gamma', gamma);
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones[this.lastEpoch];
    if (count === undefined) return this.groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [m, c] of Object.entries(this.milestones)) if (Number(m) <= this.lastEpoch) passed += c;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiplies the rate by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer<BaseOptions>, gamma: number, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.gamma = checkFinite('gamma', gamma);
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.isInitial) return this.groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/**
 * Sets each group's rate to initialLr * lrLambda(epoch) (one function for all groups or one per
 * group): warm-up schedules and the like. The functions are not part of stateDict().
 */
export class LambdaLR extends LRScheduler {
  private readonly lrLambdas: ((epoch: number) => number)[];

  constructor(
    optimizer: Optimizer<BaseOptions>,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    lastEpoch = -1,
  ) {
    super(optimizer, lastEpoch);
    const n = this.optimizer.paramGroups.length;
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== n) throw new RangeError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
      this.lrLambdas = lrLambda.slice();
    } else {
      this.lrLambdas = new Array<(epoch: number) => number>(n).fill(lrLambda);
    }
    this.lrLambdas.forEach((f, i) => {
      if (typeof f !== 'function') throw typeError(`lrLambda[${i}]`, 'a function', f);
    });
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }

  override stateDict(): SchedulerState {
    const out = super.stateDict();
    delete out.lrLambdas;
    return out;
  }
}

/** Scales the rate linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(
    optimizer: Optimizer<BaseOptions>,
    {
      startFactor = 1.0 / 3,
      endFactor = 1.0,
      totalIters = 5,
    }: { startFactor?: number; endFactor?: number; totalIters?: number } = {},
    lastEpoch = -1,
  ) {
    super(optimizer, lastEpoch);
    if (!(startFactor > 0 && startFactor <= 1)) {
      throw new RangeError(
        `Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got ${startFactor}`,
      );
    }
    if (!(endFactor >= 0 && endFactor <= 1)) {
      throw new RangeError(`Ending multiplicative factor expected to be between 0 and 1, got ${endFactor}`);
    }
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = checkInt('totalIters', totalIters, 1);
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.startFactor);
    if (this.isInitial || this.lastEpoch > this.totalIters) return this.groupLrs();
    const d = this.endFactor - this.startFactor;
    return groups.map((g) => g.lr * (1.0 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }

  protected override closedFormLr(): number[] {
    const d = this.endFactor - this.startFactor;
    return this.baseLrs.map(
      (b) => b * (this.startFactor + (d * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

/** Cosine annealing from the base rate to etaMin over tMax epochs (and back, periodically). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer<BaseOptions>, tMax: number, etaMin = 0, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.tMax = checkInt('tMax', tMax, 1);
    this.etaMin = checkFinite('etaMin', etaMin);
    this.initialStep();
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { tMax, etaMin, lastEpoch } = this;
    if (this.isInitial) return this.groupLrs();
    if (this.stepCount === 1 && lastEpoch > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if ((((lastEpoch - 1 - tMax) % (2 * tMax)) + 2 * tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) *
          (g.lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2,
    );
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): lower metric is better; 'max': higher is better. */
  mode?: 'min' | 'max';
  /** Multiplier of the rate on a plateau (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Minimum improvement that counts (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate: one for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/** Reduces the rates when a metric stops improving; step(metric) once per epoch. */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  defaultMinLr: number | null;
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: Optimizer<BaseOptions>, opts: ReduceLROnPlateauOptions = {}) {
    opts = checkOptions('opts', opts);
    this.optimizer = checkOptimizer(optimizer);
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = opts;
    if (!(factor < 1.0)) throw new RangeError(`Factor should be < 1.0, got ${factor}`);
    this.factor = checkFinite('factor', factor);
    const n = this.optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new RangeError(`expected ${n} min_lrs, got ${minLr.length}`);
      minLr.forEach((v, i) => checkFinite(`minLr[${i}]`, v));
      this.defaultMinLr = null;
      this.minLrs = minLr.slice();
    } else {
      this.defaultMinLr = checkFinite('minLr', minLr);
      this.minLrs = new Array<number>(n).fill(minLr);
    }
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`mode ${String(mode)} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new RangeError(`threshold mode ${String(thresholdMode)} is unknown!`);
    }
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.threshold = checkFinite('threshold', threshold);
    this.patience = checkInt('patience', patience, 0);
    this.cooldown = checkInt('cooldown', cooldown, 0);
    this.eps = checkFinite('eps', eps);
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
    this.best = this.modeWorse();
  }

  private modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1.0 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1.0);
    return a > best + this.threshold;
  }

  /** Records the epoch's metric (a number or a one-element tensor) and reduces on a plateau. */
  step(metric: number | { item(): number }): void {
    const current =
      typeof metric === 'number' ? metric : metric && typeof metric.item === 'function' ? metric.item() : NaN;
    if (typeof metric !== 'number' && !(metric && typeof metric.item === 'function')) {
      throw typeError('metric', 'a number or a one-element tensor', metric);
    }
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null) {
        throw new Error(
          `The number of param groups in the optimizer (${groups.length}) differs from when ReduceLROnPlateau was initialized (${this.minLrs.length})`,
        );
      }
      this.minLrs = new Array<number>(groups.length).fill(this.defaultMinLr);
    }
    groups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): SchedulerState {
    const out: SchedulerState = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'optimizer') continue;
      out[k] = Array.isArray(v) ? v.slice() : v;
    }
    // JSON has no Infinity: a best of ±Infinity (no metric yet) is saved as null.
    if (!Number.isFinite(this.best)) out.best = null;
    return out;
  }

  loadStateDict(state: SchedulerState): void {
    if (state === null || typeof state !== 'object') throw typeError('state', 'a scheduler state dict', state);
    for (const [k, v] of Object.entries(state)) {
      if (k === 'optimizer') continue;
      if (!(k in this)) throw new RangeError(`unknown key '${k}' in a ReduceLROnPlateau state dict`);
      (this as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? v.slice() : v;
    }
    if (this.best === null) this.best = this.modeWorse();
  }
}

function checkFinite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw typeError(name, 'a finite number', v);
  return v;
}
