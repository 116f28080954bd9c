// Valid argument lists for the attention exports (see cases.js for the format).
'use strict';
const { filled } = require('./cases');

function attention(alloc, B, H, Tq, Tk, D, { mask = null, kp = false, causal = false, p = 0 } = {}) {
  const f = (n, s) => filled(alloc, Float32Array, n, (i) => Math.sin(i * 0.37 + s));
  const nq = B * H * Tq * D;
  const nk = B * H * Tk * D;
  const m = mask
    ? f(
        mask.reduce((a, b) => a * b, 1),
        9,
      )
    : null;
  const shape = mask || [1, 1, 1, 1];
  const pad = kp ? filled(alloc, Uint8Array, B * Tk, (i) => i % 3 === 0) : null;
  const tail = [B, H, Tq, Tk, D, 0.5, causal, p, 7, 3];
  return {
    fwd: [
      alloc(Float32Array, nq),
      alloc(Float32Array, B * H * Tq),
      f(nq, 1),
      f(nk, 2),
      f(nk, 3),
      m,
      shape,
      pad,
      ...tail,
    ],
    bwd: [
      alloc(Float32Array, nq),
      alloc(Float32Array, nk),
      alloc(Float32Array, nk),
      f(nq, 4),
      f(nq, 1),
      f(nk, 2),
      f(nk, 3),
      f(nq, 5),
      f(B * H * Tq, 6),
      m,
      shape,
      pad,
      ...tail,
    ],
  };
}

const configs = (alloc) => [
  attention(alloc, 1, 2, 3, 5, 4),
  attention(alloc, 2, 1, 4, 4, 8, { causal: true, kp: true }),
  attention(alloc, 1, 2, 3, 2, 4, { mask: [1, 2, 3, 1], p: 0.5 }),
  attention(alloc, 1, 1, 0, 3, 4),
];

const cases = {
  attentionForward: (alloc) => configs(alloc).map((c) => c.fwd),
  attentionBackward: (alloc) => configs(alloc).map((c) => c.bwd),
};

module.exports = { cases };
