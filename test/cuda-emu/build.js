#!/usr/bin/env node
// Builds the emulated CUDA kernels into a test-only addon, build-emulated/<variant>/cuda_emu.node:
// every cuda/*.cu (rewritten, below) compiled by the host C++ compiler against cuda/emu/cuda_emu.h,
// the emulator runtime (cuda/emu/runtime.cc), one launcher per kernel file
// (test/cuda-emu/launchers/*.cc) that the jest tests call, and the library's device bindings
// (cuda/binding/*.cc, cuda/device_memory.cc), which make the addon's `cuda` export a device backend
// for lib/ (lib/cuda/runtime.ts, useEmulatedDevice in test/cuda-device-helpers.ts). Nothing here touches build/Release or
// binding.gyp. Objects are rebuilt only when their source, flags or any header they include change.
//
// The rewrite keeps line numbers (and a #line directive names the original file), so compiler
// errors and fault reports point into cuda/:
//   k<<<grid, block, shmem, stream>>>(args)  ->  k * ::tk_emu::cfg("k", __FILE__, __LINE__, grid, block, shmem, stream)(args)
//   __shared__ T name[..];                   ->  a guarded per-block array (tk_emu::shared_var)
//   __shared__ T a[..], b, c[..][..];        ->  one guarded per-block array per declarator
//   extern __shared__ T name[];              ->  T* name = the launch's guarded dynamic shared memory
//
// Comments and string literals are not rewritten.
//
// CLI: node test/cuda-emu/build.js [--verbose]. API: build({ variant, overrides, verbose }) -> path,
// where overrides maps 'cuda/<file>' to replacement source text (the deliberately broken copies).
'use strict';
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'build-emulated');
const CXX = process.env.CXX || 'g++';

function hasCompiler() {
  const r = spawnSync(CXX, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

function countNewlines(s) {
  let n = 0;
  for (const ch of s) if (ch === '\n') n++;
  return n;
}

// A copy of text with comments and string/character literals blanked to spaces (newlines kept), so
// the patterns below see only code and positions in it are positions in text.
function maskNonCode(text) {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) =>
    m.replace(/[^\n]/g, ' '),
  );
}

// Replaces the matches of re in the code of text (re runs on the masked copy, so a match never
// starts inside a comment or literal) with fn(masked groups...), or keeps a match where fn returns
// null; pads with newlines so line numbers stay.
function replaceCodeKeepLines(text, re, fn) {
  const masked = maskNonCode(text);
  let out = '';
  let last = 0;
  masked.replace(re, (...m) => {
    const at = m[m.length - 2];
    const orig = text.slice(at, at + m[0].length);
    const got = fn(...m.slice(0, -2));
    const rep = got === null ? orig : got;
    const pad = countNewlines(orig) - countNewlines(rep);
    out += text.slice(last, at) + rep + '\n'.repeat(Math.max(0, pad));
    last = at + m[0].length;
    return m[0];
  });
  return out + text.slice(last);
}

// Splits s at commas outside (), [], {} and template brackets.
function splitTopLevel(s) {
  const parts = [];
  let depth = 0,
    angle = 0,
    start = 0;
  for (let i = 0; i < s.length; ++i) {
    const ch = s[i];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (depth === 0 && ch === '<') angle++;
    else if (depth === 0 && ch === '>') angle--;
    else if (ch === ',' && depth === 0 && angle === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

// The body of `__shared__ <body>;` as { type, vars: [{ name, dims }] }, or null for a form the
// rewrite does not know (left as it is: __shared__ is undefined, so it does not compile). Forms:
// `T a;`, `T a[N][M];`, `T a[N], b, c[M];` with T a (possibly qualified or templated) type name.
function parseSharedDecl(body) {
  const pieces = splitTopLevel(body.replace(/\s+/g, ' ').trim());
  const vars = [];
  let type = null;
  for (let i = 0; i < pieces.length; ++i) {
    const m = /^(.*?)\s*([A-Za-z_]\w*)\s*((?:\[[^\[\]]+\]\s*)*)$/.exec(pieces[i].trim());
    if (!m) return null;
    if (i === 0) {
      type = m[1].trim();
      if (!/^[A-Za-z_][\w:<>, ]*$/.test(type) || /^(const|volatile)?$/.test(type)) return null;
    } else if (m[1] !== '') {
      return null; // a pointer or reference declarator: not a shared array
    }
    vars.push({ name: m[2], dims: m[3].replace(/\s+/g, ' ').trim() });
  }
  return { type, vars };
}

function rewrite(text, rel) {
  let t = text;
  // Dynamic shared memory first (its declaration also contains __shared__).
  t = replaceCodeKeepLines(
    t,
    /\bextern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([A-Za-z_][\w:]*(?:\s+[A-Za-z_][\w:]*)*?)\s+([A-Za-z_]\w*)\s*\[\s*\]\s*;/g,
    (_m, type, name) => `${type}* const ${name} = ::tk_emu::dynamic_shared_as<${type}>();`,
  );
  // Static shared memory: each declarator its own guarded per-block array.
  t = replaceCodeKeepLines(t, /\b__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?([^;{}]*);/g, (_m, body) => {
    const decl = parseSharedDecl(body);
    if (!decl) return null;
    return decl.vars
      .map(
        ({ name, dims }) =>
          `static void* tk_emu_shared_${name} = nullptr; ` +
          `auto& ${name} = ::tk_emu::shared_var<${decl.type}${dims ? ` ${dims}` : ''}>(&tk_emu_shared_${name}, "${name}");`,
      )
      .join(' ');
  });
  t = replaceCodeKeepLines(
    t,
    /([A-Za-z_][\w:]*(?:\s*<[^;{}<>]*(?:<[^;{}<>]*>[^;{}<>]*)*>)?)(\s*)<<<([\s\S]*?)>>>(\s*)\(/g,
    (_m, kernel, ws1, launchCfg, ws2) => {
      const name = kernel.replace(/\s+/g, ' ');
      return `${kernel}${ws1} * ::tk_emu::cfg("${name}", __FILE__, __LINE__, ${launchCfg})${ws2}(`;
    },
  );
  return `#line 1 "${rel}"\n${t}`;
}

// node-addon-api, and Node-API's C headers: the node-api-headers package (cmake-js brings it), else
// the headers next to the node binary (official builds and distributions ship them), else
// node-gyp's download cache.
function nodeIncludes() {
  const napi = require('node-addon-api').include_dir.replace(/"/g, '');
  const candidates = [];
  try {
    candidates.push(require('node-api-headers').include_dir);
  } catch {
    // not installed
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'include', 'node'));
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  candidates.push(path.join(cache, 'node-gyp', process.versions.node, 'include', 'node'));
  const c = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!c) throw new Error(`cuda-emu: no node_api.h in ${candidates.join(', ')} (npm install node-api-headers)`);
  return [napi, c].map((p) => (path.isAbsolute(p) ? p : path.join(ROOT, p)));
}

function sha1(...parts) {
  const h = crypto.createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

// The hash an object was built from: command, source, and every header its .d file lists (paths
// inside the variant's directory written as <variant>, so variants compare by content).
function depHash(cmd, src, depFile, dir) {
  const parts = [cmd.join('\0'), fs.readFileSync(src)];
  if (fs.existsSync(depFile)) {
    const deps = fs
      .readFileSync(depFile, 'utf8')
      .replace(/\\\n/g, ' ')
      .split(/\s+/)
      .slice(1)
      .filter((d) => d && !d.endsWith(':'));
    for (const d of deps) {
      const name = d.split(dir).join('<variant>');
      try {
        parts.push(name, fs.readFileSync(d));
      } catch {
        parts.push(name, 'missing');
      }
    }
  }
  return sha1(...parts);
}

function run(cmd, args, verbose) {
  return new Promise((resolve, reject) => {
    if (verbose) console.log([cmd, ...args].join(' '));
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stdout.on('data', (d) => (err += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`${cmd} ${args.join(' ')}\nfailed (${code}):\n${err}`)),
    );
  });
}

async function pool(tasks, jobs) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

/**
 * Builds (or reuses) build-emulated/<variant>/cuda_emu.node and returns its path.
 * @param {{ variant?: string, overrides?: Record<string, string>, verbose?: boolean }} opts
 */
async function build(opts = {}) {
  const variant = opts.variant || 'default';
  const overrides = opts.overrides || {};
  const verbose = !!opts.verbose;
  const dir = path.join(OUT, variant);
  const gen = path.join(dir, 'gen');
  const objDir = path.join(dir, 'obj');
  fs.mkdirSync(path.join(gen, 'cuda'), { recursive: true });
  fs.mkdirSync(objDir, { recursive: true });

  // Rewritten copies of cuda/*.{cu,cuh,h}, written only when their text changes (keeps mtimes).
  const cudaDir = path.join(ROOT, 'cuda');
  const names = fs.readdirSync(cudaDir).filter((f) => /\.(cu|cuh|h)$/.test(f));
  for (const rel of Object.keys(overrides)) {
    if (!names.includes(path.basename(rel))) throw new Error(`override of an unknown file ${rel}`);
  }
  for (const f of names) {
    const rel = `cuda/${f}`;
    const text = overrides[rel] !== undefined ? overrides[rel] : fs.readFileSync(path.join(cudaDir, f), 'utf8');
    const out = rewrite(text, rel);
    const dst = path.join(gen, 'cuda', f);
    if (!fs.existsSync(dst) || fs.readFileSync(dst, 'utf8') !== out) fs.writeFileSync(dst, out);
  }

  const common = [
    '-std=c++17',
    '-O2',
    '-fPIC',
    '-ffp-contract=off',
    '-fno-omit-frame-pointer',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-Wno-unused-function',
    '-Wno-unused-variable',
    `-I${gen}`,
    `-I${path.join(ROOT, 'cuda', 'emu', 'include')}`,
    `-I${ROOT}`,
    `-I${path.join(ROOT, 'native', 'include')}`,
    `-I${path.join(ROOT, 'native')}`,
  ];
  const napi = [
    ...nodeIncludes().map((p) => `-I${p}`),
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  ];
  const units = [];
  for (const f of names.filter((n) => n.endsWith('.cu'))) {
    units.push({ src: path.join(gen, 'cuda', f), obj: `kernel_${f}.o`, flags: ['-x', 'c++', ...common] });
  }
  units.push({
    src: path.join(ROOT, 'cuda', 'emu', 'runtime.cc'),
    obj: 'runtime.o',
    flags: [...common, '-U_FORTIFY_SOURCE', '-D_FORTIFY_SOURCE=0'],
  });
  units.push({ src: path.join(ROOT, 'cuda', 'emu', 'cublas_stub.cc'), obj: 'cublas_stub.o', flags: common });
  const launcherDir = path.join(__dirname, 'launchers');
  for (const f of fs.readdirSync(launcherDir).filter((n) => n.endsWith('.cc'))) {
    units.push({ src: path.join(launcherDir, f), obj: `launcher_${f}.o`, flags: [...common, ...napi] });
  }
  units.push({ src: path.join(__dirname, 'addon.cc'), obj: 'addon.o', flags: [...common, ...napi] });
  // The device side of the library itself: the caching allocator and the `cuda` export object
  // (cuda/binding/*.cc, registered through native/binding/registry.cc), so device tensors and every
  // op's dispatch run against the emulator in the tests, exactly as the CUDA build compiles them.
  units.push({ src: path.join(ROOT, 'cuda', 'device_memory.cc'), obj: 'device_memory.o', flags: common });
  units.push({
    src: path.join(ROOT, 'native', 'binding', 'registry.cc'),
    obj: 'binding_registry.o',
    flags: [...common, ...napi],
  });
  const bindingDir = path.join(ROOT, 'cuda', 'binding');
  for (const f of fs.readdirSync(bindingDir).filter((n) => n.endsWith('.cc'))) {
    units.push({ src: path.join(bindingDir, f), obj: `binding_${f}.o`, flags: [...common, ...napi] });
  }
  // The emulator's own test kernels (test/cuda-emu/*.cu), rewritten like cuda/*.cu.
  fs.mkdirSync(path.join(gen, 'selftest'), { recursive: true });
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.cu'))) {
    const out = rewrite(fs.readFileSync(path.join(__dirname, f), 'utf8'), `test/cuda-emu/${f}`);
    const dst = path.join(gen, 'selftest', f);
    if (!fs.existsSync(dst) || fs.readFileSync(dst, 'utf8') !== out) fs.writeFileSync(dst, out);
    units.push({ src: dst, obj: `selftest_${f}.o`, flags: ['-x', 'c++', ...common, ...napi] });
  }

  // Objects of a variant equal to the default build's are taken from there (the broken copies
  // recompile only the file they change).
  const baseObjDir = path.join(OUT, 'default', 'obj');
  const tasks = units.map((u) => async () => {
    const obj = path.join(objDir, u.obj);
    const dep = `${obj}.d`;
    const stamp = `${obj}.hash`;
    const cmd = [CXX, ...u.flags, '-c', u.src, '-o', obj, '-MMD', '-MF', dep];
    const normalised = cmd.map((a) => a.split(dir).join('<variant>'));
    if (
      fs.existsSync(obj) &&
      fs.existsSync(stamp) &&
      fs.readFileSync(stamp, 'utf8') === depHash(normalised, u.src, dep, dir)
    )
      return false;
    if (variant !== 'default') {
      // The default build's object, when this variant's source and headers hash the same.
      const baseDir = path.join(OUT, 'default');
      const baseObj = path.join(baseObjDir, u.obj);
      const baseStamp = `${baseObj}.hash`;
      if (fs.existsSync(baseObj) && fs.existsSync(baseStamp) && fs.existsSync(`${baseObj}.d`)) {
        fs.writeFileSync(dep, fs.readFileSync(`${baseObj}.d`, 'utf8').split(baseDir).join(dir));
        const h = depHash(normalised, u.src, dep, dir);
        if (fs.readFileSync(baseStamp, 'utf8') === h) {
          fs.copyFileSync(baseObj, obj);
          fs.writeFileSync(stamp, h);
          return false;
        }
      }
    }
    await run(cmd[0], cmd.slice(1), verbose);
    fs.writeFileSync(stamp, depHash(normalised, u.src, dep, dir));
    return true;
  });
  const jobs = Math.max(1, Number(process.env.TK_EMU_JOBS) || Math.min(2, os.cpus().length));
  const rebuilt = await pool(tasks, jobs);
  const out = path.join(dir, 'cuda_emu.node');
  if (rebuilt.some(Boolean) || !fs.existsSync(out)) {
    const objs = units.map((u) => path.join(objDir, u.obj));
    await run(CXX, ['-shared', '-o', out, ...objs, '-lpthread'], verbose);
  }
  return out;
}

module.exports = { build, hasCompiler, rewrite, ROOT, OUT };

if (require.main === module) {
  const t0 = Date.now();
  build({ verbose: process.argv.includes('--verbose') })
    .then((p) => console.log(`cuda-emu: ${path.relative(ROOT, p)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`))
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}
