// The one place that loads the addon. node-gyp-build looks in prebuilds/<platform>-<arch>/ first,
// then build/Release and build/Debug. Concern files add the functions they call to NativeAddon by
// module augmentation (`declare module '../native' { interface NativeAddon { ... } }`), so every
// native export is typed next to its only caller.
import * as fs from 'fs';
import * as path from 'path';

export interface CudaBuildInfo {
  compiled: boolean;
  devices: number;
  reason?: string;
  gemm?: string;
}

export interface NativeBackendInfo {
  simd: string;
  simdSupported: string;
  threads: number;
  cuda: CudaBuildInfo;
  arch: string;
}

export interface NativeAddon {
  readonly concerns: string[];
  backendInfo(): NativeBackendInfo;
  setNumThreads(threads: number): number;
  getNumThreads(): number;
  setSimdLevel(level: string): string;
  /** kind 0 uniform [a,b), 1 normal(mean a, std b), 2 bernoulli mask (p a, scale b), 3 raw uint32 */
  randomFill(
    kind: number,
    out: Float32Array | Uint32Array,
    seed: number,
    offset: number,
    a?: number,
    b?: number,
  ): number;
}

export const packageRoot = path.join(__dirname, '..');

/** Name of the optional package that carries the CUDA build of the addon for this platform. */
export const cudaPackageName = `textkernels-cuda-${process.platform}-${process.arch}`;

/** How the addon was chosen: which file, and why the CUDA build is or is not the one in use. */
export interface AddonSelection {
  /** 'cpu': the node-gyp build (prebuilds/ or build/); 'cuda': the CUDA build from the optional package. */
  build: 'cpu' | 'cuda';
  /** File loaded (null when node-gyp-build chose it among its usual places). */
  file: string | null;
  /** Why the CUDA build was not loaded (absent when it was). */
  reason?: string;
}

// The NVIDIA kernel driver exposes these when loaded; checking them costs a stat, so machines without
// a GPU never even open the CUDA package (which would pull in a 100 MB+ addon for nothing).
function nvidiaDriverPresent(): string | null {
  if (process.platform !== 'linux') return null;
  for (const p of ['/dev/nvidiactl', '/proc/driver/nvidia/version']) if (fs.existsSync(p)) return p;
  return null;
}

// TEXTKERNELS_CUDA_ADDON names a .node file directly (a local `npm run build:cuda`); otherwise the
// optional package, resolved from the user's project first, then from this package.
function findCudaAddon(): string | null {
  const explicit = process.env.TEXTKERNELS_CUDA_ADDON;
  if (explicit) return path.resolve(explicit);
  try {
    const pkg = require.resolve(`${cudaPackageName}/package.json`, { paths: [process.cwd(), packageRoot] });
    const file = path.join(path.dirname(pkg), 'textkernels.node');
    return fs.existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

function failure(tried: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(
    [
      `textkernels: could not load the native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
      `Tried: ${tried}.`,
      `Cause: ${reason}`,
      'Possible fixes:',
      '- Run `npm rebuild textkernels` (needs Python 3, make and a C++17 compiler) to build it from source.',
      '- In a clone of the repository, run `npm ci` (it builds the addon and compiles the TypeScript).',
      '- If you set TEXTKERNELS_SIMD, TEXTKERNELS_CUDA or TEXTKERNELS_CUDA_ADDON, or moved the package, check them or reinstall.',
    ].join('\n'),
  );
}

function loadCpu(): NativeAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('node-gyp-build') as (dir: string) => NativeAddon;
    return build(packageRoot);
  } catch (err) {
    throw failure(
      `${path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)}, ${path.join(packageRoot, 'build', 'Release')}, ${path.join(packageRoot, 'build', 'Debug')}`,
      err,
    );
  }
}

// TEXTKERNELS_CUDA: 'auto' (default) loads the CUDA build only where an NVIDIA driver is present and
// the package (or TEXTKERNELS_CUDA_ADDON) provides it; 'off' never does; 'force' loads it even without a
// driver (it then runs on the CPU and says why), which is how its fallback is tested.
function load(): { addon: NativeAddon; selection: AddonSelection } {
  const mode = (process.env.TEXTKERNELS_CUDA ?? 'auto').toLowerCase();
  if (mode !== 'auto' && mode !== 'off' && mode !== 'force') {
    throw new TypeError(`TEXTKERNELS_CUDA must be 'auto', 'off' or 'force', got '${process.env.TEXTKERNELS_CUDA}'`);
  }
  let reason: string;
  if (mode === 'off') {
    reason = 'TEXTKERNELS_CUDA=off';
  } else {
    const driver = nvidiaDriverPresent();
    const file = findCudaAddon();
    if (mode === 'force' && !file) {
      throw failure(
        `TEXTKERNELS_CUDA=force, but neither TEXTKERNELS_CUDA_ADDON nor the package ${cudaPackageName} gives a CUDA build`,
        new Error('no CUDA build found'),
      );
    }
    if (file && (driver || mode === 'force')) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return { addon: require(file) as NativeAddon, selection: { build: 'cuda', file } };
      } catch (err) {
        if (mode === 'force') throw failure(file, err);
        reason = `the CUDA build ${file} failed to load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
      }
    } else if (!driver) {
      reason = 'no NVIDIA driver found (no /dev/nvidiactl or /proc/driver/nvidia/version)';
    } else {
      reason = `an NVIDIA driver is present (${driver}) but no CUDA build is installed: \`npm install ${cudaPackageName}\` (or build one with \`npm run build:cuda\` and set TEXTKERNELS_CUDA_ADDON)`;
    }
  }
  return { addon: loadCpu(), selection: { build: 'cpu', file: null, reason: `${reason}: running on the CPU` } };
}

const loaded = load();
export const native: NativeAddon = loaded.addon;
export const addonSelection: AddonSelection = loaded.selection;
