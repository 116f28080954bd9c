// The recurrent layers' backward on the device consumes the saved gates as on the CPU (cuda/rnn.cuh
// writes the gate gradients over them): a second backward needs retainGraph on the first, which
// gives a device copy to the first backward. On the emulated device backend
// (test/cuda-device-helpers.ts).
import * as tk from '../lib';
import { Tensor } from '../lib/tensor';
import { deviceDescribe, useEmulatedDevice } from './cuda-device-helpers';
import { expectClose } from './helpers';

deviceDescribe('recurrent layers on the emulated CUDA backend: backward twice', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  const layers: [string, () => tk.nn.LSTM | tk.nn.GRU | tk.nn.RNN][] = [
    ['LSTM', () => new tk.nn.LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 3 })],
    ['GRU', () => new tk.nn.GRU({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 3 })],
    ['RNN', () => new tk.nn.RNN({ inputSize: 3, hiddenSize: 5, seed: 3 })],
  ];
  for (const [name, make] of layers) {
    test(`${name}: retainGraph twice gives 2x the CPU's gradients; a third backward throws`, () => {
      const run = (device: 'cpu' | 'cuda') => {
        const m = make();
        for (const p of m.parameters()) p.moveTo_(device);
        const x = tk.randn([2, 4, 3], { seed: 5 }).to(device).setRequiresGrad(true);
        const r = m.forward(x, { lengths: [4, 2] });
        const loss = tk.sum(tk.mul(r.output, r.output)).add(tk.sum(r.h));
        return { m, x, loss };
      };
      const c = run('cpu');
      c.loss.backward();
      const want = [c.x, ...c.m.parameters()].map((t) => (t.grad as Tensor).f32.slice());
      const d = run('cuda');
      d.loss.backward(undefined, { retainGraph: true });
      const leaves = [d.x, ...d.m.parameters()];
      leaves.forEach((t, i) =>
        expectClose((t.grad as Tensor).cpu().f32, want[i], { atol: 1e-5, rtol: 1e-4 }, `${name} once, grad ${i}`),
      );
      d.loss.backward();
      leaves.forEach((t, i) => {
        const w2 = want[i].map((v) => 2 * v);
        expectClose((t.grad as Tensor).cpu().f32, w2, { atol: 2e-5, rtol: 1e-4 }, `${name} twice, grad ${i}`);
      });
      expect(() => d.loss.backward()).toThrow(/retainGraph/);
    });
  }
});
