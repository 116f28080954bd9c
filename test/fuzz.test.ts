// Feeds every native export random and malformed arguments in a child process; see
// test/fuzz/harness.js. A crash, an error other than TypeError/RangeError, or a write outside a
// buffer fails the test with the call that caused it.
import { expectFuzzOk } from './fuzz/run';

describe('native argument fuzzing', () => {
  it('rejects malformed arguments with TypeError/RangeError and never crashes or writes out of bounds', () => {
    expectFuzzOk({ TEXTKERNELS_NUM_THREADS: '2' }, 240_000);
  }, 300_000);
});
