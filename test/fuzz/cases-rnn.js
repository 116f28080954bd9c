// Fuzz starting points for the recurrent-layer exports (native/binding/rnn.cc).
'use strict';
const { filled } = require('./cases');

// Valid calls of rnnForward / rnnBackward for one cell and sizes; lengths and optional buffers vary.
function calls(alloc, cell, reverse, T, B, I, H, withLengths) {
  const G = cell === 0 ? 4 : cell === 1 ? 3 : 1;
  const S = cell <= 1 ? 4 : 1;
  const lstm = cell === 0;
  const f = (n) => filled(alloc, Float32Array, n, (i) => Math.sin(i * 0.37) * 0.5);
  const lengths = withLengths ? filled(alloc, Int32Array, B, (b) => 1 + (b % T)) : null;
  const savedGates = f(T * B * S * H);
  const savedH = f((T + 1) * B * H);
  const savedC = lstm ? f((T + 1) * B * H) : null;
  const x = f(T * B * I);
  const wIh = f(G * H * I);
  const wHh = f(G * H * H);
  const fwd = [
    cell,
    reverse,
    cell >= 2 && reverse,
    T,
    B,
    I,
    H,
    f(T * B * H),
    0,
    H,
    f(B * H),
    lstm ? f(B * H) : null,
    savedGates,
    savedH,
    savedC,
    x,
    f(B * H),
    lstm ? f(B * H) : null,
    wIh,
    wHh,
    f(G * H),
    f(G * H),
    lengths,
  ];
  const bwd = [
    cell,
    reverse,
    false,
    T,
    B,
    I,
    H,
    f(T * B * I),
    false,
    f(B * H),
    lstm ? f(B * H) : null,
    f(G * H * I),
    f(G * H * H),
    f(G * H),
    f(G * H),
    f(T * B * 2 * H),
    H,
    2 * H,
    f(B * H),
    lstm ? f(B * H) : null,
    x,
    wIh,
    wHh,
    savedGates,
    savedH,
    savedC,
    lengths,
  ];
  return { fwd, bwd };
}

const cases = {
  rnnForward: (alloc) => [
    calls(alloc, 0, false, 3, 2, 4, 5, true).fwd,
    calls(alloc, 1, true, 2, 3, 1, 2, false).fwd,
    calls(alloc, 2, false, 1, 1, 0, 1, false).fwd,
    calls(alloc, 3, true, 4, 2, 3, 3, true).fwd,
  ],
  rnnBackward: (alloc) => [
    calls(alloc, 0, true, 3, 2, 4, 5, true).bwd,
    calls(alloc, 1, false, 2, 3, 1, 2, true).bwd,
    calls(alloc, 2, true, 0, 2, 2, 3, false).bwd,
    calls(alloc, 3, false, 4, 2, 3, 3, false).bwd,
  ],
};

module.exports = { cases };
