// The built package as users load it: CommonJS require and ESM import give the same API object.
// Needs dist/ (built by `npm ci` through the prepare script, or `npm run build:ts`).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');

describe('package entry points', () => {
  it('has been built', () => {
    expect(fs.existsSync(path.join(root, 'dist', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'index.mjs'))).toBe(true);
  });

  it('require() and import give the same object', () => {
    const script = `
      import tk, { tensor, matmul } from 'textkernels';
      import { createRequire } from 'module';
      const cjs = createRequire(import.meta.url)('textkernels');
      const ok = tk === cjs && tensor === cjs.tensor && matmul === cjs.matmul && typeof cjs.nn.Linear === 'function';
      console.log(JSON.stringify({ ok, keys: Object.keys(cjs).length, y: matmul(tensor([[1, 2]]), tensor([[3], [4]])).item() }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const res = JSON.parse(out.trim());
    expect(res.ok).toBe(true);
    expect(res.keys).toBeGreaterThan(50);
    expect(res.y).toBe(11);
  });

  it('runs the CLI', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'info'], { encoding: 'utf8' });
    expect(JSON.parse(out).device).toBe('cpu');
  });
});
