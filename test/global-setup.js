// Builds the emulated CUDA addon (test/cuda-emu/build.js, incremental) once, before any test file
// runs, so the files that use it (cuda-emulated, cuda-device*) never race to build it in parallel.
// Where no C++ compiler exists, those files skip with a message instead.
// It also turns on the poisoning of uninitialised CPU storage (below).
'use strict';
const emu = require('./cuda-emu/build.js');

module.exports = async function globalSetup() {
  // Every test runs with CPU storage allocated without `zero` filled with NaN (lib/tensor.ts), so an op
  // that leaves part of such an output unwritten fails instead of passing on zeros by luck. Workers
  // start after this and inherit it.
  process.env.TEXTKERNELS_POISON_UNINIT = '1';
  if (!emu.hasCompiler()) return;
  await emu.build({});
};
