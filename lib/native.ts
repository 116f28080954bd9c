// The one place that loads the addon. node-gyp-build looks in prebuilds/<platform>-<arch>/ first,
// then build/Release and build/Debug. Concern files add the functions they call to NativeAddon by
// module augmentation (`declare module '../native' { interface NativeAddon { ... } }`), so every
// native export is typed next to its only caller.
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
  randomFill(kind: number, out: Float32Array | Uint32Array, seed: number, offset: number, a?: number, b?: number): number;
}

export const packageRoot = path.join(__dirname, '..');

function load(): NativeAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('node-gyp-build') as (dir: string) => NativeAddon;
    return build(packageRoot);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      [
        `textkernels: could not load the native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
        `Tried: ${path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)}, ${path.join(packageRoot, 'build', 'Release')}, ${path.join(packageRoot, 'build', 'Debug')}.`,
        `Cause: ${reason}`,
        'Possible fixes:',
        '- Run `npm rebuild textkernels` (needs Python 3, make and a C++17 compiler) to build it from source.',
        '- In a clone of the repository, run `npm ci` (it builds the addon and compiles the TypeScript).',
        '- If you set TEXTKERNELS_SIMD or moved the package, reinstall it.',
      ].join('\n'),
    );
  }
}

export const native: NativeAddon = load();
