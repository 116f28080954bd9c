// Valid calls for every native export, used by harness.js as the starting points for mutation.
// Each entry maps an export name to a function (alloc) => array of argument lists, where
// alloc(Ctor, length) gives a guarded typed array. A new native export must add its entry here:
// the fuzz test fails on any export without one.
'use strict';

function filled(alloc, Ctor, n, f) {
  const a = alloc(Ctor, n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

const cases = {
  backendInfo: () => [[]],
  getNumThreads: () => [[]],
  setNumThreads: () => [[2], [0]],
  setSimdLevel: () => [['avx2'], ['sse2']],
  randomFill: (alloc) => [
    [0, alloc(Float32Array, 33), 1, 0, 0, 1],
    [1, alloc(Float32Array, 7), 5, 3, 0, 1],
    [2, alloc(Float32Array, 9), 2, 0, 0.5, 2],
    [3, alloc(Uint32Array, 5), 2, 10],
  ],
};

module.exports = { cases, filled };
