// Fuzz starting points for the pointwise export added with the device path (native/binding/
// elementwise.cc; the others are in cases.js): sumToShape(out, g, shape, outShape) and
// int32ToFloat32(out, x).
'use strict';
const { filled } = require('./cases');

const f = (alloc, n) => filled(alloc, Float32Array, n, (i) => Math.sin(1.3 * i + 0.7));

const cases = {
  sumToShape: (alloc) => [
    [alloc(Float32Array, 5), f(alloc, 15), [3, 5], [5]],
    [alloc(Float32Array, 3), f(alloc, 105), [3, 5, 7], [3, 1, 1]],
    [alloc(Float32Array, 7), f(alloc, 105), [3, 5, 7], [1, 1, 7]],
    [alloc(Float32Array, 1), f(alloc, 6), [2, 3], []],
    [alloc(Float32Array, 3), alloc(Float32Array, 0), [0, 3], [1, 3]],
  ],
  int32ToFloat32: (alloc) => [
    [alloc(Float32Array, 7), filled(alloc, Int32Array, 7, (i) => (i - 3) * 123457)],
    [alloc(Float32Array, 0), alloc(Int32Array, 0)],
  ],
};

module.exports = { cases };
