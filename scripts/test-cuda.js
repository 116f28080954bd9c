#!/usr/bin/env node
// npm run test:cuda: the device test files (test/cuda-device*.test.ts), which `npm test` runs against
// the CUDA emulator, run on the GPU instead, through the CUDA build of the addon
// (TEXTKERNELS_CUDA_ADDON, default build-cuda/Release/textkernels.node from `npm run build:cuda`).
// They compare every device op with the CPU op on the same inputs. Fails, with the reason, where
// there is no GPU or no CUDA build; extra arguments go to jest.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const addon = path.resolve(
  process.env.TEXTKERNELS_CUDA_ADDON || path.join(root, 'build-cuda', 'Release', 'textkernels.node'),
);
if (!fs.existsSync(addon)) {
  console.error(`test:cuda: no CUDA build at ${addon}: run \`npm run build:cuda\` first (needs nvcc).`);
  process.exit(1);
}
const env = {
  ...process.env,
  TEXTKERNELS_TEST_DEVICE: 'cuda',
  TEXTKERNELS_CUDA: 'force',
  TEXTKERNELS_CUDA_ADDON: addon,
};
const jest = require.resolve('jest/bin/jest');
const r = spawnSync(process.execPath, [jest, '--runInBand', 'test/cuda-device', ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(r.status === null ? 1 : r.status);
