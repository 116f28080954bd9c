#!/usr/bin/env node
// Puts the CUDA build (build-cuda/Release/textkernels.node, from `npm run build:cuda`) into the
// optional package packages/cuda-linux-x64, checks that it loads, and with --pack runs `npm pack`
// there. The CUDA addon never goes to build/Release, where node-gyp-build would pick it up first.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const pkgDir = path.join(root, 'packages', `cuda-${process.platform}-${process.arch}`);
const src = path.join(root, 'build-cuda', 'Release', 'textkernels.node');
if (!fs.existsSync(pkgDir)) {
  console.error(`package-cuda: no package for ${process.platform}-${process.arch} (${pkgDir})`);
  process.exit(1);
}
if (!fs.existsSync(src)) {
  console.error(`package-cuda: ${src} not found: run \`npm run build:cuda\` first (needs nvcc and CMake)`);
  process.exit(1);
}
const dst = path.join(pkgDir, 'textkernels.node');
fs.copyFileSync(src, dst);
const version = require(path.join(root, 'package.json')).version;
const pkgJson = path.join(pkgDir, 'package.json');
const pkg = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
if (pkg.version !== version) {
  pkg.version = version;
  fs.writeFileSync(pkgJson, JSON.stringify(pkg, null, 2) + '\n');
}
// Loading it here proves the file is a working addon before it ships (no GPU needed: it falls back).
const info = require(dst).backendInfo();
if (!info.cuda.compiled) {
  console.error(`package-cuda: ${src} was built without CUDA`);
  process.exit(1);
}
console.log(
  `package-cuda: ${path.relative(root, dst)} (${(fs.statSync(dst).size / 1e6).toFixed(1)} MB), cuda: ${JSON.stringify(info.cuda)}`,
);
if (process.argv.includes('--pack')) {
  execFileSync('npm', ['pack', '--pack-destination', root], { cwd: pkgDir, stdio: 'inherit' });
}
