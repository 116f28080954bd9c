// Runs test/fuzz/harness.js in a child process (a crash then fails a test instead of killing jest) and
// checks that it reached FUZZ-OK; on failure the message names the last call tried and the harness's
// verdict. Shared by test/fuzz.test.ts (CPU exports) and test/fuzz-device.test.ts (device exports).
import { spawnSync } from 'child_process';
import * as path from 'path';

export function expectFuzzOk(env: Record<string, string>, timeoutMs: number): void {
  const res = spawnSync(process.execPath, [path.join(__dirname, 'harness.js')], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env },
    // A hang (a kernel looping over a size no array backs) fails the test instead of blocking it.
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  const lines = res.stdout.split('\n').filter(Boolean);
  const last = lines.filter((l) => l.startsWith('TRY ')).pop();
  const detail = `exit ${res.status} signal ${res.signal}\nlast call: ${last}\nstderr: ${res.stderr.slice(-2000)}`;
  expect(res.stderr).not.toMatch(/FUZZ-MISSING/);
  expect({ status: res.status, signal: res.signal, detail }).toEqual({ status: 0, signal: null, detail });
  expect(lines[lines.length - 1]).toMatch(/^FUZZ-OK/);
}
