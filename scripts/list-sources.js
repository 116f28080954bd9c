// Prints the C++ sources of one build flavour for binding.gyp and CMakeLists.txt, so that adding a
// kernel file never means editing the build files. Flavours: "base" (everything compiled with the
// baseline flags), "avx2", "avx512" (files named *_avx2.cc / *_avx512.cc, compiled with those ISA
// flags and called only after a runtime CPU check), "emulated" (nothing yet).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const flavour = process.argv[2] || 'base';
const dirs = ['native/binding', 'native/kernels'];
const isaSuffix = /_(avx2|avx512|sse2|neon)\.cc$/;

const out = [];
for (const dir of dirs) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) continue;
  for (const name of fs.readdirSync(abs).sort()) {
    if (!name.endsWith('.cc')) continue;
    const m = name.match(isaSuffix);
    const fileFlavour = m ? m[1] : 'base';
    // SSE2 is the x86-64 baseline, so *_sse2.cc files build with the base flags.
    const effective = fileFlavour === 'sse2' || fileFlavour === 'neon' ? 'base' : fileFlavour;
    if (effective === flavour) out.push(`${dir}/${name}`);
  }
}
process.stdout.write(out.join(process.argv.includes('--cmake') ? ';' : ' '));
