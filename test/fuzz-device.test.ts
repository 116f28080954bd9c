// The device exports (the `cuda` object: cuda/binding/*.cc) fed the CPU exports' valid calls and every
// mutation of test/fuzz/harness.js, through the emulated addon, in a child process: each must throw a
// TypeError/RangeError or return, and no kernel may touch memory outside its device buffers (the
// emulator's guard pages turn such an access into an Error, which fails the run). Since the device
// bindings read their arguments through the same checks as the CPU ones (native/binding/*_args.h),
// this mostly proves that they do, export by export.
import { spawnSync } from 'child_process';
import * as path from 'path';

import { emulatorPresent } from './cuda-device-helpers';

const suite = emulatorPresent ? describe : describe.skip;

suite('device argument fuzzing (emulated)', () => {
  it('rejects malformed arguments with TypeError/RangeError and never faults', () => {
    const res = spawnSync(process.execPath, [path.join(__dirname, 'fuzz', 'harness.js')], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, FUZZ_DEVICE: 'emulated' },
      timeout: 280_000,
      killSignal: 'SIGKILL',
    });
    const lines = res.stdout.split('\n').filter(Boolean);
    const last = lines.filter((l) => l.startsWith('TRY ')).pop();
    const detail = `exit ${res.status} signal ${res.signal}\nlast call: ${last}\nstderr: ${res.stderr.slice(-2000)}`;
    expect(res.stderr).not.toMatch(/FUZZ-MISSING/);
    expect({ status: res.status, signal: res.signal, detail }).toEqual({ status: 0, signal: null, detail });
    expect(lines[lines.length - 1]).toMatch(/^FUZZ-OK/);
  }, 300_000);
});
