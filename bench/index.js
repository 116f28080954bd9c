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
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(name ? 2 : 0);
}
process.argv.splice(2, 1);
require(path.join(__dirname, `${name}.js`));
