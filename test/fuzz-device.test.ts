// The device exports (the `cuda` object: cuda/binding/*.cc) fed the CPU exports' valid calls and every
// mutation of test/fuzz/harness.js, through the emulated addon, in a child process: each must throw a
// TypeError/RangeError or return, and no kernel may touch memory outside its device buffers (the
// emulator's guard pages turn such an access into an Error, which fails the run). Since the device
// bindings read their arguments through the same checks as the CPU ones (native/binding/*_args.h),
// this mostly proves that they do, export by export.
import { emulatorPresent } from './cuda-device-helpers';
import { expectFuzzOk } from './fuzz/run';

const suite = emulatorPresent ? describe : describe.skip;

suite('device argument fuzzing (emulated)', () => {
  it('rejects malformed arguments with TypeError/RangeError and never faults', () => {
    expectFuzzOk({ FUZZ_DEVICE: 'emulated' }, 280_000);
  }, 300_000);
});
