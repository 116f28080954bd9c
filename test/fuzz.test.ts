// Feeds every native export random and malformed arguments in a child process; see
// test/fuzz/harness.js. A crash, an error other than TypeError/RangeError, or a write outside a
// buffer fails the test with the call that caused it.
import { spawnSync } from 'child_process';
import * as path from 'path';

describe('native argument fuzzing', () => {
  it('rejects malformed arguments with TypeError/RangeError and never crashes or writes out of bounds', () => {
    const res = spawnSync(process.execPath, [path.join(__dirname, 'fuzz', 'harness.js')], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, TEXTKERNELS_NUM_THREADS: '2' },
      // A hang (a kernel looping over a size no array backs) fails the test instead of blocking it.
      timeout: 240_000,
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
