// The TensorFlow.js side of bench/rnn.js: one training step (forward + backward of output.sum(),
// gradients for the input and every weight) of tf.layers.lstm / gru, in a child process of its own.
//   node bench/_rnn_tfjs.js CELL B T I H MIN_SECONDS BACKEND      (BACKEND: wasm | cpu)
// Prints one JSON line: { ms, reps, backend, version, threads }.
'use strict';

async function main() {
  const [cell, B, T, I, H, minSeconds, backend] = process.argv.slice(2);
  const [b, t, i, h] = [B, T, I, H].map(Number);
  const tf = require('@tensorflow/tfjs');
  if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend '${backend}' failed to start`);
  await tf.ready();
  const make = cell === 'LSTM' ? tf.layers.lstm : tf.layers.gru;
  const layer = make({ units: h, returnSequences: true, inputShape: [t, i] });
  const x = tf.variable(tf.randomNormal([b, t, i], 0, 1, 'float32', 2));
  layer.apply(x); // builds the weights
  const vars = [x, ...layer.trainableWeights.map((w) => w.read())];
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x)), vars);
    const all = [value, ...Object.values(grads)];
    for (const g of all) g.dataSync(); // wait for the work, as torch's backward() does
    tf.dispose(all);
  };
  step();
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < 3 || (elapsed() < Number(minSeconds) && times.length < 10)) {
    const t0 = process.hrtime.bigint();
    step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((p, q) => p - q);
  let threads = 1;
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    if (typeof wasm.getThreadsCount === 'function') threads = wasm.getThreadsCount();
  }
  console.log(
    JSON.stringify({ ms: times[times.length >> 1], reps: times.length, backend, version: tf.version.tfjs, threads }),
  );
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
