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

/** The options a benchmark script reads, from its source: arg('name') takes a value, flag('name') does not. */
function readOptions(source) {
  const read = (fn) => [
    ...new Set([...source.matchAll(new RegExp(`\\b${fn}\\('([a-z0-9-]+)'`, 'g'))].map((m) => m[1])),
  ];
  return { values: read('arg'), flags: read('flag') };
}

/**
 * Checks the command line against the options `script` reads (readOptions), so the list cannot drift from
 * the code. --help (or -h) prints the script's
 * header comment and exits 0. An option the script does not read, a stray word, or a value option at the end
 * of the line exits 2 naming it: a mistyped --epoch would otherwise run an hour-long benchmark on defaults.
 */
function checkOptions(script) {
  const source = fs.readFileSync(script, 'utf8');
  const read = readOptions(source);
  const values = new Set(read.values);
  const flags = new Set(['help', ...read.flags]);
  const name = path.basename(script, '.js');
  const usage = () => {
    const header = [];
    for (const line of source.split('\n').slice(source.startsWith('#!') ? 1 : 0)) {
      if (!line.startsWith('//')) break;
      header.push(line.replace(/^\/\/ ?/, ''));
    }
    return header.join('\n');
  };
  const fail = (why) => {
    const known = [...[...values].map((v) => `--${v} VALUE`), ...[...flags].map((f) => `--${f}`)].sort();
    console.error(`bench/${name}: ${why}\noptions: ${known.join(' ')}\n(--help for the full description)`);
    process.exit(2);
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    }
    if (!a.startsWith('--')) fail(`unexpected argument '${a}'`);
    const opt = a.slice(2);
    if (values.has(opt)) {
      if (i + 1 >= argv.length) fail(`--${opt} needs a value`);
      i++;
    } else if (!flags.has(opt)) {
      fail(`unknown option --${opt}`);
    }
  }
}

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

module.exports = { arg, flag, readOptions, checkOptions, cpuModel, writeResultsSection };
