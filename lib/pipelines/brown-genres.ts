// The end-to-end job of `npm run demo`: genre classification of Brown corpus passages from
// TF-IDF bag-of-words features with a two-layer perceptron (EmbeddingBag as the sparse first
// layer, ReLU, dropout, Linear), AdamW and cross-entropy. The split is by document, stratified by
// genre, so no test passage comes from a document seen in training.
import { checkInt, checkNumber, checkOptions } from '../errors';
import { loadBrownCorpus, BrownDocument } from '../data/brown';
import { BagOfWords } from '../text/bow';
import { Generator } from '../random';
import { checkDevice, Device, Tensor, noGrad } from '../tensor';
import { zeros } from '../creation';
import { CsrMatrix } from '../sparse';
import { relu, add } from '../ops/elementwise';
import { argmax } from '../ops/reduce';
import { crossEntropy } from '../ops/losses';
import { Module, Parameter } from '../nn/module';
import { EmbeddingBag, Linear, Dropout } from '../nn/layers';
import * as init from '../nn/init';
import { AdamW } from '../optim/adam';

export interface GenreDemoOptions {
  passageWords?: number;
  testFraction?: number;
  epochs?: number;
  hidden?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  dropout?: number;
  minDf?: number;
  maxFeatures?: number;
  seed?: number;
  /** Where the model trains: 'cpu' (default) or 'cuda'. The bag-of-words rows stay on the host. */
  device?: Device;
  log?: (line: string) => void;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

export interface GenreDemoResult {
  classes: string[];
  vocabularySize: number;
  trainPassages: number;
  testPassages: number;
  epochs: EpochReport[];
}

/** Splits a document into passages of `size` words (punctuation dropped); a short tail is kept if at least half a passage. */
export function passagesOf(doc: BrownDocument, size: number): string[][] {
  const words = doc.sentences.flat().filter((w) => /[\p{L}\p{N}]/u.test(w));
  const out: string[][] = [];
  for (let i = 0; i < words.length; i += size) {
    const p = words.slice(i, i + size);
    if (p.length >= size / 2) out.push(p);
  }
  return out;
}

/** The sparse form of Linear(V, H) -> ReLU -> Dropout -> Linear(H, C). */
export class BowMlp extends Module {
  declare bag: EmbeddingBag;
  declare bias: Tensor;
  declare drop: Dropout;
  declare out: Linear;

  constructor(vocab: number, hidden: number, classes: number, p: number, seed: number) {
    super();
    const g = new Generator(seed);
    this.registerModule('bag', new EmbeddingBag(vocab, hidden, { mode: 'sum', generator: g }));
    // Linear(V, H)'s default init, since bag is that layer's weight transposed.
    const bound = 1 / Math.sqrt(vocab);
    init.uniform_(this.bag.weight, -bound, bound, { generator: g });
    this.registerParameter('bias', Parameter(zeros([hidden])));
    init.uniform_(this.bias, -bound, bound, { generator: g });
    this.registerModule('drop', new Dropout(p, { generator: g }));
    this.registerModule('out', new Linear(hidden, classes, { generator: g }));
  }

  forward(x: CsrMatrix): Tensor {
    return this.out.forward(this.drop.forward(relu(add(this.bag.forward(x), this.bias))));
  }
}

function evaluate(model: BowMlp, x: CsrMatrix, y: Int32Array, batchSize: number): { loss: number; accuracy: number } {
  return noGrad(() => {
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < x.rows; start += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, x.rows - start) }, (_, i) => start + i);
      const logits = model.forward(x.selectRows(idx));
      const target = y.subarray(start, start + idx.length);
      lossSum += crossEntropy(logits, target, { reduction: 'sum' }).item();
      const pred = argmax(logits, 1).cpu().data;
      for (let i = 0; i < idx.length; i++) if (pred[i] === target[i]) correct++;
    }
    return { loss: lossSum / x.rows, accuracy: correct / x.rows };
  });
}

export function trainBrownGenres(opts: GenreDemoOptions = {}): GenreDemoResult {
  opts = checkOptions('opts', opts);
  const passageWords = checkInt('passageWords', opts.passageWords ?? 200, 10);
  const testFraction = checkNumber('testFraction', opts.testFraction ?? 0.2, 0.01, 0.9);
  const epochs = checkInt('epochs', opts.epochs ?? 8, 1);
  const hidden = checkInt('hidden', opts.hidden ?? 64, 1);
  const batchSize = checkInt('batchSize', opts.batchSize ?? 64, 1);
  const lr = checkNumber('lr', opts.lr ?? 2e-3, 0);
  const weightDecay = checkNumber('weightDecay', opts.weightDecay ?? 1e-2, 0);
  const p = checkNumber('dropout', opts.dropout ?? 0.5, 0, 1);
  const seed = checkInt('seed', opts.seed ?? 1);
  const device = checkDevice('device', opts.device ?? 'cpu');
  const log = opts.log ?? ((line: string) => console.log(line));
  const gen = new Generator(seed);

  const docs = loadBrownCorpus();
  const classes = [...new Set(docs.map((d) => d.genre))].sort();
  const byGenre = new Map<string, BrownDocument[]>();
  for (const d of docs) byGenre.set(d.genre, [...(byGenre.get(d.genre) ?? []), d]);
  const train: { words: string[]; label: number }[] = [];
  const test: { words: string[]; label: number }[] = [];
  for (const genre of classes) {
    const list = byGenre.get(genre) as BrownDocument[];
    const order = gen.permutation(list.length);
    const nTest = Math.max(1, Math.round(list.length * testFraction));
    order.forEach((docIndex, k) => {
      const target = k < nTest ? test : train;
      for (const words of passagesOf(list[docIndex], passageWords))
        target.push({ words, label: classes.indexOf(genre) });
    });
  }
  const bow = new BagOfWords({ minDf: opts.minDf ?? 2, maxFeatures: opts.maxFeatures ?? 10000, weighting: 'tfidf' });
  bow.fit(train.map((s) => s.words));
  const toCsr = (rows: { words: string[] }[]): CsrMatrix => {
    const d = bow.transform(rows.map((r) => r.words));
    return new CsrMatrix(d.rows, d.cols, d.indptr, d.indices, d.values);
  };
  const xTrain = toCsr(train);
  const xTest = toCsr(test);
  const yTrain = Int32Array.from(train, (s) => s.label);
  const yTest = Int32Array.from(test, (s) => s.label);
  log(
    `Brown corpus: ${docs.length} documents, ${classes.length} genres; ${train.length} training and ${test.length} test passages of ${passageWords} words; ${bow.size} TF-IDF features`,
  );

  const model = new BowMlp(bow.size, hidden, classes.length, p, seed).to(device);
  const opt = new AdamW(model.parameters(), { lr, weightDecay });
  log(
    `model: EmbeddingBag(${bow.size}, ${hidden}, sum) + bias -> ReLU -> Dropout(${p}) -> Linear(${hidden}, ${classes.length}); ${model.numParameters()} parameters; AdamW lr ${lr}`,
  );
  const reports: EpochReport[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const t0 = process.hrtime.bigint();
    model.train();
    const order = gen.permutation(xTrain.rows);
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.subarray(start, start + batchSize);
      const target = Int32Array.from(idx, (i) => yTrain[i]);
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(xTrain.selectRows(idx)), target);
      loss.backward();
      opt.step();
    }
    model.eval();
    const tr = evaluate(model, xTrain, yTrain, 256);
    const te = evaluate(model, xTest, yTest, 256);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    reports.push({
      epoch,
      trainLoss: tr.loss,
      trainAccuracy: tr.accuracy,
      testLoss: te.loss,
      testAccuracy: te.accuracy,
      seconds,
    });
    log(
      `epoch ${String(epoch).padStart(2)}  train loss ${tr.loss.toFixed(4)}  acc ${(100 * tr.accuracy).toFixed(1)}%  |  test loss ${te.loss.toFixed(4)}  acc ${(100 * te.accuracy).toFixed(1)}%  (${seconds.toFixed(2)} s)`,
    );
  }
  return { classes, vocabularySize: bow.size, trainPassages: train.length, testPassages: test.length, epochs: reports };
}
