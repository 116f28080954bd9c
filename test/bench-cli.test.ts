// The benchmarks' command lines: each takes --help, and refuses an option it does not read instead of
// running for an hour on defaults. Only the option parsing runs here: no benchmark does any work.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const benchDir = path.join(__dirname, '..', 'bench');
const benchmarks = fs
  .readdirSync(benchDir)
  .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('_'))
  .map((f) => f.replace(/\.js$/, ''));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(benchDir, 'index.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The same reader the benchmarks check their command lines with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readOptions } = require('../bench/_common') as {
  readOptions: (source: string) => { values: string[]; flags: string[] };
};
const optionsRead = (name: string) => readOptions(fs.readFileSync(path.join(benchDir, `${name}.js`), 'utf8'));

describe('benchmark command lines', () => {
  it('finds the benchmarks', () => {
    expect(benchmarks).toEqual(expect.arrayContaining(['attention', 'gemm', 'rnn', 'topics', 'word2vec']));
  });

  it('lists the benchmarks on --help and rejects an unknown name', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const b of benchmarks) expect(help.stdout).toContain(b);
    const bad = run(['no-such-benchmark']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown benchmark 'no-such-benchmark'");
  });

  describe.each(benchmarks)('%s', (name) => {
    it('prints a usage that documents every option it reads', () => {
      const r = run([name, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`npm run bench -- ${name}`);
      const documented = new Set([...r.stdout.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]));
      const { values, flags } = optionsRead(name);
      const undocumented = [...values, ...flags].filter((o) => !documented.has(o));
      expect(undocumented).toEqual([]);
    });

    it('refuses an unknown option, a stray word and a missing value, naming them', () => {
      const typo = run([name, '--epoch', '3']);
      expect(typo.status).toBe(2);
      expect(typo.stderr).toContain('unknown option --epoch');
      const stray = run([name, 'quick']);
      expect(stray.status).toBe(2);
      expect(stray.stderr).toContain("unexpected argument 'quick'");
      const valueOption = optionsRead(name).values[0];
      expect(valueOption).toBeDefined();
      const missing = run([name, `--${valueOption}`]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain(`--${valueOption} needs a value`);
    });
  });
});
