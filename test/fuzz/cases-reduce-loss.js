// Fuzz starting points for the reduction and loss exports added with their device twins
// (native/binding/reduce.cc, native/binding/loss.cc; the argument checks are shared with
// cuda/binding/reduce.cc and loss.cc through binding/reduce_args.h and loss_args.h).
'use strict';
const { filled } = require('./cases');

const f32 = (alloc, n, scale = 1) => filled(alloc, Float32Array, n, (i) => scale * Math.sin(1.3 * i + 0.7));
const prob = (alloc, n) => filled(alloc, Float32Array, n, (i) => 0.5 + 0.45 * Math.sin(2.1 * i + 0.3));
const pos = (alloc, n) => filled(alloc, Float32Array, n, (i) => 0.1 + Math.abs(Math.sin(0.9 * i)));
const ids = (alloc, n, hi) => filled(alloc, Int32Array, n, (i) => (i * 7 + 3) % hi);
const i32 = (alloc, n) => filled(alloc, Int32Array, n, (i) => ((i * 5) % 11) - 5);
const zeros = (alloc, n) => alloc(Float32Array, n);

const cases = {
  // sumBackward(dx, g, outer, reduced, inner, divisor?)
  sumBackward: (alloc) => [
    [zeros(alloc, 105), f32(alloc, 21), 3, 5, 7, 5],
    [zeros(alloc, 9), f32(alloc, 1), 1, 9, 1],
  ],
  // sumInt32Forward(out, x, outer, reduced, inner)
  sumInt32Forward: (alloc) => [
    [alloc(Int32Array, 21), i32(alloc, 105), 3, 5, 7],
    [alloc(Int32Array, 1), i32(alloc, 9), 1, 9, 1],
  ],
  // maxAllBackward(dx, g, x, value)
  maxAllBackward: (alloc) => {
    const x = f32(alloc, 15);
    const v = alloc(Float32Array, 1);
    v[0] = x[3];
    return [[zeros(alloc, 15), f32(alloc, 1), x, v]];
  },
  // logsumexpBackward(dx, g, x, out, outer, reduced, inner)
  logsumexpBackward: (alloc) => [[zeros(alloc, 105), f32(alloc, 21), f32(alloc, 105), pos(alloc, 21), 3, 5, 7]],
  // scaleInPlace(x, c)
  scaleInPlace: (alloc) => [[f32(alloc, 35), 0.5]],
  // clampInPlace(x, lo, hi)
  clampInPlace: (alloc) => [[f32(alloc, 35), -0.3, 0.4]],
  // nllLossForward(loss, logProbs, target, weight|null, N, C, S, ignoreIndex) -> denominator
  nllLossForward: (alloc) => {
    const t = ids(alloc, 21, 5);
    t[4] = -100;
    return [
      [zeros(alloc, 21), f32(alloc, 105), t, pos(alloc, 5), 3, 5, 7, -100],
      [zeros(alloc, 3), f32(alloc, 15), ids(alloc, 3, 5), null, 3, 5, 1, 2],
    ];
  },
  // nllLossBackward(dx, dloss, target, weight|null, N, C, S, ignoreIndex, dlossStride, scale)
  nllLossBackward: (alloc) => {
    const t = ids(alloc, 21, 5);
    t[4] = -100;
    return [
      [zeros(alloc, 105), f32(alloc, 21), t, pos(alloc, 5), 3, 5, 7, -100, 1, 1],
      [zeros(alloc, 15), f32(alloc, 1), ids(alloc, 3, 5), null, 3, 5, 1, -100, 0, 1 / 3],
    ];
  },
  // pointwiseLossForward(kind, loss, x, t, beta)
  pointwiseLossForward: (alloc) => [
    [0, zeros(alloc, 35), f32(alloc, 35), f32(alloc, 35), 0],
    [2, zeros(alloc, 7), f32(alloc, 7), f32(alloc, 7), 0.5],
    [3, zeros(alloc, 7), f32(alloc, 7), prob(alloc, 7), 0],
  ],
  // pointwiseLossBackward(kind, dx|null, dt|null, dloss, x, t, beta, dlossStride, scale)
  pointwiseLossBackward: (alloc) => [
    [1, zeros(alloc, 35), zeros(alloc, 35), f32(alloc, 35), f32(alloc, 35), f32(alloc, 35), 0, 1, 1],
    [4, null, zeros(alloc, 7), f32(alloc, 1), f32(alloc, 7), f32(alloc, 7), 0, 0, 1 / 7],
    [2, zeros(alloc, 7), null, f32(alloc, 1), f32(alloc, 7), f32(alloc, 7), 1, 0, 0.5],
  ],
};

module.exports = { cases };
