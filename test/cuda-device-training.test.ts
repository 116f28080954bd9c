// Whole training runs on the device against the same runs on the CPU: models built from the layers
// users train (embedding, LSTM/GRU, transformer encoder, linear heads), a loss, an optimizer, several
// steps. Every op on the way dispatches to the device (the emulated backend here, a GPU under
// `npm run test:cuda`); losses, gradients and parameters must follow the CPU run step for step.
import * as tk from '../lib';
import { Module } from '../lib/nn/module';
import { Tensor } from '../lib/tensor';
import { deviceDescribe, useEmulatedDevice } from './cuda-device-helpers';
import { expectClose } from './helpers';

// A small text classifier: ids [B, T] -> embedding -> recurrent layer -> last output -> linear.
class RecurrentClassifier extends Module {
  declare embed: tk.nn.Embedding;
  declare rnn: tk.nn.LSTM | tk.nn.GRU;
  declare head: tk.nn.Linear;
  constructor(kind: 'lstm' | 'gru', seed: number) {
    super();
    this.embed = this.registerModule('embed', new tk.nn.Embedding(30, 8, { seed }));
    const opts = { inputSize: 8, hiddenSize: 12, numLayers: 2, bidirectional: true, seed: seed + 1 };
    this.rnn = this.registerModule('rnn', kind === 'lstm' ? new tk.nn.LSTM(opts) : new tk.nn.GRU(opts));
    this.head = this.registerModule('head', new tk.nn.Linear(24, 3, { seed: seed + 2 }));
  }
  forward(ids: Tensor): Tensor {
    const { output } = this.rnn.forward(this.embed.forward(ids));
    const T = output.shape[1];
    return this.head.forward(output.narrow(1, T - 1, 1).squeeze(1));
  }
}

// Transformer encoder classifier with dropout: the masks come from seeded generators, so both
// devices drop the same units.
class EncoderClassifier extends Module {
  declare embed: tk.nn.Embedding;
  declare encoder: tk.nn.TransformerEncoderLayer;
  declare head: tk.nn.Linear;
  constructor(seed: number) {
    super();
    this.embed = this.registerModule('embed', new tk.nn.Embedding(30, 16, { seed }));
    this.encoder = this.registerModule(
      'encoder',
      new tk.nn.TransformerEncoderLayer({ dModel: 16, nhead: 4, dimFeedforward: 32, dropout: 0.1, seed: seed + 1 }),
    );
    this.head = this.registerModule('head', new tk.nn.Linear(16, 3, { seed: seed + 2 }));
  }
  forward(ids: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(this.embed.forward(ids)).mean(1));
  }
}

interface Run {
  losses: number[];
  params: Float32Array[];
}

function train(
  make: () => Module & { forward(ids: Tensor): Tensor },
  device: 'cpu' | 'cuda',
  optim: 'adam' | 'sgd',
  steps: number,
): Run {
  const model = make();
  model.train();
  // The optimizer is made before the move, as in many PyTorch scripts: it must follow the parameters.
  const opt =
    optim === 'adam'
      ? new tk.optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.01 })
      : new tk.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
  model.to(device);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const ids = tk.randint(0, 30, [4, 7], { seed: 100 + step, device });
    const target = tk.randint(0, 3, [4], { seed: 200 + step, device });
    opt.zeroGrad();
    const loss = tk.crossEntropy(model.forward(ids), target, { labelSmoothing: 0.1 });
    loss.backward();
    tk.nn.clipGradNorm(model.parameters(), 1.0);
    opt.step();
    losses.push(loss.item());
  }
  return { losses, params: model.parameters().map((p) => p.cpu().data as Float32Array) };
}

function expectSameRun(label: string, cpu: Run, cuda: Run, atol: number): void {
  expectClose(cuda.losses, cpu.losses, { atol, rtol: atol }, `${label}: losses`);
  expect(cuda.params.length).toBe(cpu.params.length);
  cuda.params.forEach((p, i) => expectClose(p, cpu.params[i], { atol, rtol: atol }, `${label}: parameter ${i}`));
}

deviceDescribe('training on the device follows the CPU step for step', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('embedding + 2-layer bidirectional LSTM + linear, crossEntropy, AdamW, clipGradNorm', () => {
    const make = () => new RecurrentClassifier('lstm', 1);
    const cpu = train(make, 'cpu', 'adam', 4);
    const cuda = train(make, 'cuda', 'adam', 4);
    expect(cpu.losses[3]).not.toBe(cpu.losses[0]);
    expectSameRun('LSTM', cpu, cuda, 1e-4);
  });

  test('embedding + GRU + linear, SGD with Nesterov momentum', () => {
    const make = () => new RecurrentClassifier('gru', 5);
    expectSameRun('GRU', train(make, 'cpu', 'sgd', 3), train(make, 'cuda', 'sgd', 3), 1e-4);
  });

  // SGD here, not Adam: the gradient of attention's key bias is zero in exact arithmetic (softmax
  // ignores a shift common to a row), so both devices compute rounding noise there, and Adam, which
  // divides by the gradient's own magnitude, turns noise of either sign into steps of size lr.
  test('embedding + transformer encoder layer with dropout + mean pooling + linear, SGD', () => {
    const make = () => new EncoderClassifier(9);
    expectSameRun('transformer', train(make, 'cpu', 'sgd', 3), train(make, 'cuda', 'sgd', 3), 1e-4);
  });

  test('a trained device model saves and reloads on the CPU with the same predictions', () => {
    const model = new RecurrentClassifier('lstm', 3).to('cuda');
    model.eval();
    const ids = tk.randint(0, 30, [2, 5], { seed: 7 });
    const onDevice = model.forward(ids.to('cuda')).cpu();
    const copy = new RecurrentClassifier('lstm', 42);
    copy.loadStateDict(model.stateDict());
    copy.eval();
    expect(copy.parameters().every((p) => p.device === 'cpu')).toBe(true);
    expectClose(copy.forward(ids).data, onDevice.data, { atol: 1e-5, rtol: 1e-5 }, 'predictions');
  });
});
