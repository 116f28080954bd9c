// What every benchmark shares: command-line options, the CPU's name, and replacing its own
// section of bench/RESULTS.md without touching the others.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

/** The value after --name, or def. */
function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const flag = (name) => process.argv.includes(`--${name}`);

function cpuModel() {
  try {
    const text = execFileSync('lscpu', { encoding: 'utf8' });
    const line = text.split('\n').find((l) => l.startsWith('Model name:'));
    if (line) return line.replace('Model name:', '').trim();
  } catch {
    /* lscpu is missing: fall back to what Node reports */
  }
  return os.cpus()[0] ? os.cpus()[0].model : 'unknown';
}

/** Replaces (or appends) the "## <title>" section of bench/RESULTS.md with `section`. */
function writeResultsSection(title, section) {
  const file = path.join(__dirname, 'RESULTS.md');
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmark results\n';
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const start = text.search(new RegExp(`^## ${escaped}\\s*$`, 'm'));
  if (start >= 0) {
    const rest = text.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next >= 0 ? start + 1 + next : text.length;
    text = text.slice(0, start) + section + (end < text.length ? '\n' + text.slice(end) : '');
  } else {
    text = text.replace(/\s*$/, '\n\n') + section;
  }
  fs.writeFileSync(file, text);
  console.error(`wrote the ${title} section of ${path.relative(process.cwd(), file)}`);
}

module.exports = { arg, flag, cpuModel, writeResultsSection };
