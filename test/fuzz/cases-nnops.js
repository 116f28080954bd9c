// Fuzz starting points for the nn-op exports added with their device twins (native/binding/nnops.cc),
// and int32 calls of the word-moving exports (stridedCopy, indexSelectForward and gatherForward take
// float32 or int32 data).
'use strict';
const { filled } = require('./cases');

const f32 = (alloc, n) => filled(alloc, Float32Array, n, (i) => Math.sin(1.3 * i + 0.7));
const mask = (alloc, n) => filled(alloc, Float32Array, n, (i) => (i % 3 === 0 ? 0 : 2));
const i32 = (alloc, n) => filled(alloc, Int32Array, n, (i) => ((i * 5) % 11) - 5);
const ids = (alloc, n, hi) => filled(alloc, Int32Array, n, (i) => (i * 7 + 3) % hi);

const cases = {
  // mulMask(out, x, mask, n)
  mulMask: (alloc) => [
    [alloc(Float32Array, 37), f32(alloc, 37), mask(alloc, 37), 37],
    [alloc(Float32Array, 0), f32(alloc, 0), mask(alloc, 0), 0],
  ],
};

// Valid int32 calls, run unmutated beside the mutated float32 templates of cases.js.
const large = {
  indexSelectForward: (alloc) => [[alloc(Int32Array, 3 * 9 * 7), i32(alloc, 105), ids(alloc, 9, 5), 3, 5, 9, 7]],
  gatherForward: (alloc) => [
    [alloc(Int32Array, 3 * 4 * 7), i32(alloc, 105), ids(alloc, 84, 5), [3, 5, 7], [3, 4, 7], 1],
  ],
};

module.exports = { cases, large };
