#!/usr/bin/env node
// Runs clang-format (the npm package's binary, so every machine uses the same version) over the
// C++ and CUDA sources. --check fails on any difference; --fix rewrites the files.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const mode = process.argv.includes('--fix') ? 'fix' : 'check';
const exts = ['.h', '.cc', '.cu', '.cuh', '.inc'];
const dirs = ['native', 'cuda'];

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (exts.includes(path.extname(e.name))) out.push(p);
  }
  return out;
}

const files = dirs.flatMap((d) => walk(path.join(root, d), []));
const bin = require.resolve('clang-format/index.js');
const args = mode === 'fix' ? ['-i', ...files] : ['--dry-run', '--Werror', ...files];
try {
  execFileSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd: root });
} catch {
  console.error(`clang-format: ${mode === 'fix' ? 'failed' : 'files need formatting; run `npm run format`'}`);
  process.exit(1);
}
console.log(`clang-format: ${files.length} files ${mode === 'fix' ? 'formatted' : 'clean'}`);
