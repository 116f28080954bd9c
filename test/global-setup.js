// Builds the emulated CUDA addon (test/cuda-emu/build.js, incremental) once, before any test file
// runs, so the files that use it (cuda-emulated, cuda-device*) never race to build it in parallel.
// Where no C++ compiler exists, those files skip with a message instead.
'use strict';
const emu = require('./cuda-emu/build.js');

module.exports = async function globalSetup() {
  if (!emu.hasCompiler()) return;
  await emu.build({});
};
