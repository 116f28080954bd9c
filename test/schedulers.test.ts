// Learning-rate schedulers against torch.optim.lr_scheduler (test/reference/schedulers.py).
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  LRScheduler,
  MultiStepLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
} from '../lib/optim';
import { Tensor } from '../lib/tensor';
import { loadFixture } from './helpers';

interface Case {
  kind: string;
  options: Record<string, unknown>;
  metrics: number[] | null;
  lrs: number[][];
}

const fx = loadFixture<{ cases: Case[]; closed: { kind: string; epochs: number[]; lrs: number[][] }[] }>('schedulers');

function optimizer(): SGD {
  const a = new Tensor(new Float32Array(2), [2], { requiresGrad: true });
  const b = new Tensor(new Float32Array(3), [3], { requiresGrad: true });
  return new SGD([{ params: [a] }, { params: [b], lr: 0.05 }], { lr: 0.1 });
}

type AnySched = LRScheduler | ReduceLROnPlateau;

function make(kind: string, o: Record<string, unknown>, opt: SGD): AnySched {
  const n = (k: string): number => o[k] as number;
  switch (kind) {
    case 'StepLR':
      return new StepLR(opt, n('stepSize'), (o.gamma as number | undefined) ?? 0.1);
    case 'MultiStepLR':
      return new MultiStepLR(opt, o.milestones as number[], n('gamma'));
    case 'LinearLR':
      return new LinearLR(opt, o);
    case 'ExponentialLR':
      return new ExponentialLR(opt, n('gamma'));
    case 'LambdaLR':
      return new LambdaLR(opt, (e) => (e < 5 ? (e + 1) / 5 : (5 / (e + 1)) ** 0.5));
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, n('tMax'), (o.etaMin as number | undefined) ?? 0);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, o);
    default:
      throw new Error(kind);
  }
}

/** Cosine uses Math.cos, which may differ from glibc's cos in the last double bit. */
function expectLrs(actual: number[], expected: number[], kind: string, label: string): void {
  if (kind === 'CosineAnnealingLR') {
    actual.forEach((v, i) =>
      expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-15 + 1e-12 * Math.abs(expected[i])),
    );
  } else {
    expect([label, actual]).toEqual([label, expected]);
  }
}

describe('schedulers match torch', () => {
  fx.cases.forEach((c, ci) => {
    test(`${ci}: ${c.kind} ${JSON.stringify(c.options)}`, () => {
      const opt = optimizer();
      const s = make(c.kind, c.options, opt);
      expectLrs(s.getLastLr(), c.lrs[0], c.kind, 'initial');
      for (let e = 0; e < c.lrs.length - 1; e++) {
        opt.step();
        if (s instanceof ReduceLROnPlateau) s.step(c.metrics![e]);
        else s.step();
        expectLrs(s.getLastLr(), c.lrs[e + 1], c.kind, `epoch ${e + 1}`);
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(s.getLastLr());
      }
    });
  });

  fx.closed.forEach((c) => {
    test(`${c.kind} step(epoch) uses the closed form`, () => {
      const opt = optimizer();
      const o: Record<string, Record<string, unknown>> = {
        StepLR: { stepSize: 3, gamma: 0.5 },
        MultiStepLR: { milestones: [2, 5, 5, 11], gamma: 0.3 },
        LinearLR: { startFactor: 0.1, endFactor: 0.9, totalIters: 8 },
        CosineAnnealingLR: { tMax: 5, etaMin: 0.001 },
        ExponentialLR: { gamma: 0.8 },
      };
      const s = make(c.kind, o[c.kind], opt) as LRScheduler;
      c.epochs.forEach((e, i) => {
        s.step(e);
        expectLrs(s.getLastLr(), c.lrs[i], c.kind, `epoch ${e}`);
      });
    });
  });
});

describe('scheduler state', () => {
  test('stateDict / loadStateDict resume an LRScheduler', () => {
    const opt = optimizer();
    const s = new CosineAnnealingLR(opt, 7, 0.001);
    for (let i = 0; i < 4; i++) s.step();
    const saved = JSON.parse(JSON.stringify(s.stateDict())) as ReturnType<LRScheduler['stateDict']>;
    const optState = opt.stateDict();
    const expected: number[][] = [];
    for (let i = 0; i < 5; i++) {
      s.step();
      expected.push(s.getLastLr());
    }
    const opt2 = optimizer();
    opt2.loadStateDict(optState);
    const s2 = new CosineAnnealingLR(opt2, 7, 0.001);
    s2.loadStateDict(saved);
    // The optimizer's restored lr and initialLr carry the schedule on.
    opt2.paramGroups.forEach((g, i) => {
      g.lr = optState.paramGroups[i].lr;
    });
    for (let i = 0; i < 5; i++) {
      s2.step();
      expect(s2.getLastLr()).toEqual(expected[i]);
    }
    expect(() => s2.loadStateDict({ bogus: 1 })).toThrow(/unknown key 'bogus'/);
  });

  test('ReduceLROnPlateau state round trip (best = Infinity saved as null)', () => {
    const opt = optimizer();
    const s = new ReduceLROnPlateau(opt, { patience: 1 });
    const fresh = s.stateDict();
    expect(fresh.best).toBeNull();
    s.step(1.0);
    s.step(1.0);
    s.step(1.0);
    const saved = JSON.parse(JSON.stringify(s.stateDict())) as ReturnType<ReduceLROnPlateau['stateDict']>;
    const s2 = new ReduceLROnPlateau(optimizer(), { patience: 1 });
    s2.loadStateDict(saved);
    expect(s2.best).toBe(1.0);
    expect(s2.numBadEpochs).toBe(s.numBadEpochs);
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    s2.loadStateDict(fresh);
    expect(s2.best).toBe(Infinity);
  });

  test('a tensor metric works; bad options throw', () => {
    const opt = optimizer();
    const s = new ReduceLROnPlateau(opt, { patience: 0 });
    s.step(new Tensor(new Float32Array([2]), []));
    s.step(new Tensor(new Float32Array([3]), []));
    expect(s.getLastLr()).toEqual([0.1 * 0.1, 0.05 * 0.1]);
    expect(() => s.step('x' as never)).toThrow(TypeError);
    expect(() => new ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/Factor should be < 1.0/);
    expect(() => new ReduceLROnPlateau(opt, { mode: 'mid' as never })).toThrow(/unknown/);
    expect(() => new ReduceLROnPlateau(opt, { thresholdMode: 'x' as never })).toThrow(/unknown/);
    expect(() => new ReduceLROnPlateau(opt, { minLr: [0.1] })).toThrow(/expected 2 min_lrs/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/Starting multiplicative factor/);
    expect(() => new LinearLR(opt, { endFactor: 2 })).toThrow(/Ending multiplicative factor/);
    expect(() => new StepLR(opt, 0)).toThrow(RangeError);
    expect(() => new StepLR({} as never, 1)).toThrow(TypeError);
    expect(() => new MultiStepLR(opt, [1.5])).toThrow(TypeError);
    expect(() => new StepLR(optimizer(), 2, 0.1, 3)).toThrow(/initialLr/);
    expect(() => new LambdaLR(opt, [() => 1])).toThrow(/Expected 2 lr_lambdas/);
    expect(() => new LambdaLR(opt, 3 as never)).toThrow(TypeError);
    expect(Object.keys(new LambdaLR(optimizer(), () => 1).stateDict())).not.toContain('lrLambdas');
  });

  test('initialLr is recorded on the groups and kept by later schedulers', () => {
    const opt = optimizer();
    new StepLR(opt, 2);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.05]);
    opt.paramGroups[0].lr = 0.5;
    const s2 = new StepLR(opt, 2);
    expect(s2.baseLrs).toEqual([0.1, 0.05]);
  });
});
