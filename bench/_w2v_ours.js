// Our side of bench/word2vec.js, in a child process of its own so that its peak memory is its own.
// usage: node _w2v_ours.js CORPUS sg|cbow|ft-sg THREADS OUT.vec
'use strict';
const tk = require('..');

async function main() {
  const [corpus, model, threads, out] = process.argv.slice(2);
  const common = {
    seed: Number(process.env.W2V_SEED || 1),
    power: Number(process.env.W2V_POWER || 0.75),
    dim: 100,
    window: 5,
    negative: 5,
    minCount: 5,
    sample: 1e-3,
    epochs: 5,
    threads: Number(threads),
  };
  const m =
    model === 'ft-sg'
      ? new tk.embeddings.FastText({ ...common, model: 'skipgram', alpha: 0.025 })
      : new tk.embeddings.Word2Vec({ ...common, model: model === 'sg' ? 'skipgram' : 'cbow' });
  const t0 = process.hrtime.bigint();
  const stats = await m.train(corpus);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  m.saveWord2VecFormat(out);
  console.log(
    JSON.stringify({
      seconds,
      loss: stats.loss,
      maxrss_mb: process.resourceUsage().maxRSS / 1024,
      simd: tk.backend().simd,
    }),
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
