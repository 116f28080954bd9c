#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/<name>.js, which prints its table and updates its
// section of bench/RESULTS.md. With no name, lists the benchmarks.
'use strict';
const fs = require('fs');
const path = require('path');

const name = process.argv[2];
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('_'))
  .map((f) => f.replace(/\.js$/, ''));
const help = !name || name === '--help' || name === '-h';
if (help || !available.includes(name)) {
  const usage = `usage: npm run bench -- <${available.join('|')}> [options]   (npm run bench -- <name> --help: its options)`;
  if (help) console.log(usage);
  else console.error(`unknown benchmark '${name}'\n${usage}`);
  process.exit(help ? 0 : 2);
}
process.argv.splice(2, 1);
require(path.join(__dirname, `${name}.js`));
