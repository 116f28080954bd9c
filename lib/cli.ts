#!/usr/bin/env node
// textkernels' command line. `textkernels demo` trains the Brown-corpus genre classifier;
// `textkernels info` prints what runs the kernels.
import { backend, setNumThreads } from './backend';
import { trainBrownGenres, GenreDemoOptions } from './pipelines/brown-genres';

const USAGE = `usage: textkernels <command> [options]

commands:
  demo   train a bag-of-words MLP on the Brown corpus genres and print loss and accuracy
         options: --epochs N (8) --hidden N (64) --batch-size N (64) --lr X (0.002)
                  --passage-words N (200) --max-features N (10000) --dropout P (0.5)
                  --seed N (1) --threads N --device cpu|cuda (cpu)
  info   print the backend: SIMD level, threads, CUDA status
`;

function parseOptions(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'\n\n${USAGE}`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      if (i + 1 >= args.length) throw new Error(`option ${a} needs a value`);
      out[a.slice(2)] = args[++i];
    }
  }
  return out;
}

function num(opts: Record<string, string>, key: string): number | undefined {
  if (!(key in opts)) return undefined;
  const v = Number(opts[key]);
  if (!Number.isFinite(v)) throw new Error(`--${key} must be a number, got '${opts[key]}'`);
  return v;
}

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = parseOptions(rest);
  if (opts.threads !== undefined) setNumThreads(num(opts, 'threads') as number);
  switch (command) {
    case 'info':
      console.log(JSON.stringify(backend(), null, 2));
      return 0;
    case 'demo': {
      const b = backend();
      console.log(
        `textkernels: CPU kernels at ${b.simd} with ${b.threads} threads; CUDA: ${b.cuda.compiled ? `${b.cuda.devices} device(s)` : 'not built'}${opts.device === 'cuda' ? '; training on cuda' : ''}`,
      );
      const o: GenreDemoOptions = {
        epochs: num(opts, 'epochs'),
        hidden: num(opts, 'hidden'),
        batchSize: num(opts, 'batch-size'),
        lr: num(opts, 'lr'),
        passageWords: num(opts, 'passage-words'),
        maxFeatures: num(opts, 'max-features'),
        dropout: num(opts, 'dropout'),
        seed: num(opts, 'seed'),
        device: (opts.device ?? 'cpu') as GenreDemoOptions['device'],
      };
      const res = trainBrownGenres(o);
      const last = res.epochs[res.epochs.length - 1];
      console.log(
        `final test accuracy ${(100 * last.testAccuracy).toFixed(1)}% over ${res.classes.length} genres (chance ${(100 / res.classes.length).toFixed(1)}%)`,
      );
      return 0;
    }
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
