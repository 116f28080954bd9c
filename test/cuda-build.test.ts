// The CUDA build (CMakeLists.txt, `npm run build:cuda`) must load and run its CPU kernels on
// machines without a GPU or driver, reporting why CUDA is not in use. The addon is loaded in a
// child process so that a crash while loading it (a missing symbol, a bad static initialiser in
// cudart) fails this test instead of killing jest, as node-llama-cpp's testBindingBinary does.
//
// Environment-dependent: skipped, with a note, where no CUDA build exists (no nvcc, or
// `npm run build:cuda` not run).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { native } from '../lib/native';

const root = path.join(__dirname, '..');
const addonPath = ['build-cuda/Release/textkernels.node', 'build-cuda/textkernels.node']
  .map((p) => path.join(root, p))
  .find((p) => fs.existsSync(p));
// A driver is present where the NVIDIA kernel module exposes its control device.
const driverPresent = fs.existsSync('/dev/nvidiactl');

if (!addonPath) {
  console.log(
    'cuda-build: SKIPPED: no CUDA build at build-cuda/Release/textkernels.node; run `npm run build:cuda` ' +
      'on a machine with nvcc to test it',
  );
}
const cudaIt = addonPath ? it : it.skip;

interface CudaInfo {
  compiled: boolean;
  devices: number;
  reason?: string;
  gemm?: string;
}

interface ChildReport {
  cuda: CudaInfo;
  simd: string;
  concerns: string[];
  fills: number[][];
}

// Inputs for randomFill: [kind, length, seed, offset, a, b]; 1001 values leave a partial block.
const fillCases: [number, number, number, number, number, number][] = [
  [0, 1001, 12345, 7, -2, 3],
  [1, 1001, 12345, 300, 0.5, 2],
  [2, 1001, 99, 0, 0.3, 1 / 0.7],
  [3, 1001, 2 ** 40 + 17, 2 ** 33, 0, 0],
];

function fill(addon: typeof native, [kind, n, seed, offset, a, b]: (typeof fillCases)[number]): number[] {
  const out = kind === 3 ? new Uint32Array(n) : new Float32Array(n);
  addon.randomFill(kind, out, seed, offset, a, b);
  return Array.from(out);
}

const childScript = `
const addon = require(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
const info = addon.backendInfo();
const fills = cases.map(([kind, n, seed, offset, a, b]) => {
  const out = kind === 3 ? new Uint32Array(n) : new Float32Array(n);
  addon.randomFill(kind, out, seed, offset, a, b);
  return Array.from(out);
});
process.stdout.write(JSON.stringify({ cuda: info.cuda, simd: info.simd, concerns: addon.concerns, fills }));
`;

function runChild(): ChildReport {
  const res = spawnSync(process.execPath, ['-e', childScript, addonPath as string, JSON.stringify(fillCases)], {
    encoding: 'utf8',
    timeout: 60000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) {
    throw new Error(
      `loading ${addonPath} in a child process failed (status ${res.status}, signal ${res.signal}):\n${res.stderr}`,
    );
  }
  return JSON.parse(res.stdout) as ChildReport;
}

describe('CUDA build (build-cuda/)', () => {
  let report: ChildReport;
  beforeAll(() => {
    if (addonPath) report = runChild();
  });

  cudaIt('loads without a GPU and reports that CUDA is compiled in, and why no device is used', () => {
    expect(report.cuda.compiled).toBe(true);
    if (!driverPresent) {
      expect(report.cuda.devices).toBe(0);
      expect(report.cuda.reason).toMatch(
        /no NVIDIA driver \(libcuda\.so\.1 not found\)|no CUDA devices|cudaGetDeviceCount/,
      );
      expect(report.cuda.gemm).toBeUndefined();
    } else if (report.cuda.devices > 0) {
      expect(['cublas', 'tiled']).toContain(report.cuda.gemm);
    } else {
      expect(report.cuda.reason).toMatch(/driver|device|CUDA/);
    }
  });

  cudaIt('keeps the CPU addon (build/Release, loaded by node-gyp-build) separate from the CUDA one', () => {
    expect(native.backendInfo().cuda.compiled).toBe(false);
    // A mismatch here usually means build-cuda/ predates a kernel family: `npm run build:cuda`. The
    // CUDA build has one concern more, `cuda` (cuda/binding/memory.cc: the device export object).
    expect(report.concerns).toContain('cuda');
    expect(native.concerns).not.toContain('cuda');
    expect({
      concerns: report.concerns.filter((c) => c !== 'cuda').sort(),
      hint: 'rebuild build-cuda with `npm run build:cuda`',
    }).toEqual({
      concerns: [...native.concerns].sort(),
      hint: 'rebuild build-cuda with `npm run build:cuda`',
    });
    expect(report.simd).toBe(native.backendInfo().simd);
  });

  cudaIt('runs the CPU kernels: randomFill draws the same numbers as the node-gyp build', () => {
    fillCases.forEach((c, i) => {
      const want = fill(native, c);
      expect(report.fills[i]).toHaveLength(c[1]);
      // Bit-identical: same sources, same -ffp-contract=off, same Philox mapping.
      expect(report.fills[i]).toEqual(want);
    });
    // Not a constant fill: the comparison above would pass trivially otherwise.
    expect(new Set(report.fills[0]).size).toBeGreaterThan(900);
  });
});

// The library's choice of addon (lib/native.ts), in child processes with the built package (dist/):
// the CUDA build from TEXTKERNELS_CUDA_ADDON or from the optional package, the CPU build otherwise.
describe('choosing the CUDA build (TEXTKERNELS_CUDA, the optional package)', () => {
  const dist = path.join(root, 'dist', 'index.js');
  const probe = `
const tk = require(process.argv[1]);
const y = tk.matmul(tk.ones([2, 3]), tk.full([3, 2], 2)).toArray();
process.stdout.write(JSON.stringify({ backend: tk.backend(), y }));
`;
  function runLib(
    env: Record<string, string | undefined>,
    cwd = root,
  ): { status: number | null; out: string; err: string } {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    delete childEnv.TEXTKERNELS_CUDA;
    delete childEnv.TEXTKERNELS_CUDA_ADDON;
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    const res = spawnSync(process.execPath, ['-e', probe, dist], {
      encoding: 'utf8',
      env: childEnv,
      cwd,
      timeout: 60000,
    });
    return { status: res.status, out: res.stdout, err: res.stderr };
  }

  it('keeps the CPU build without a driver (or with TEXTKERNELS_CUDA=off) and says why', () => {
    const r = runLib({ TEXTKERNELS_CUDA: driverPresent ? 'off' : undefined });
    expect(r.err).toBe('');
    const { backend, y } = JSON.parse(r.out);
    expect(backend.addon).toBe('cpu');
    expect(backend.cuda.compiled).toBe(false);
    expect(backend.cuda.reason).toMatch(driverPresent ? /TEXTKERNELS_CUDA=off/ : /no NVIDIA driver found/);
    expect(backend.cuda.reason).toMatch(/running on the CPU/);
    expect(y).toEqual([
      [6, 6],
      [6, 6],
    ]);
  });

  it('rejects an unknown TEXTKERNELS_CUDA value by name', () => {
    const r = runLib({ TEXTKERNELS_CUDA: 'yes' });
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/TEXTKERNELS_CUDA must be 'auto', 'off' or 'force', got 'yes'/);
  });

  it('with TEXTKERNELS_CUDA=force and no CUDA build anywhere, fails with a message naming both places', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-nocuda-'));
    const r = runLib({ TEXTKERNELS_CUDA: 'force' }, empty);
    fs.rmSync(empty, { recursive: true, force: true });
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/TEXTKERNELS_CUDA_ADDON nor the package textkernels-cuda-/);
  });

  cudaIt('loads the CUDA build named by TEXTKERNELS_CUDA_ADDON, which falls back to the CPU here', () => {
    const r = runLib({ TEXTKERNELS_CUDA: 'force', TEXTKERNELS_CUDA_ADDON: addonPath });
    expect(r.err).toBe('');
    const { backend, y } = JSON.parse(r.out);
    expect(backend.addon).toBe('cuda');
    expect(backend.cuda.compiled).toBe(true);
    if (!driverPresent) expect(backend.cuda.reason).toMatch(/no NVIDIA driver \(libcuda\.so\.1 not found\)/);
    expect(y).toEqual([
      [6, 6],
      [6, 6],
    ]);
  });

  cudaIt('finds the optional package textkernels-cuda-<platform>-<arch> from the project directory', () => {
    // A project with the package installed: node_modules/<name>/{package.json, index.js, textkernels.node}.
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-cudapkg-'));
    const pkgSrc = path.join(root, 'packages', `cuda-${process.platform}-${process.arch}`);
    const pkgDst = path.join(project, 'node_modules', `textkernels-cuda-${process.platform}-${process.arch}`);
    fs.mkdirSync(pkgDst, { recursive: true });
    for (const f of ['package.json', 'index.js']) fs.copyFileSync(path.join(pkgSrc, f), path.join(pkgDst, f));
    fs.copyFileSync(addonPath as string, path.join(pkgDst, 'textkernels.node'));
    try {
      const r = runLib({ TEXTKERNELS_CUDA: 'force' }, project);
      expect(r.err).toBe('');
      expect(JSON.parse(r.out).backend.addon).toBe('cuda');
      // 'auto' without a driver never opens the package.
      if (!driverPresent) expect(JSON.parse(runLib({}, project).out).backend.addon).toBe('cpu');
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });
});
