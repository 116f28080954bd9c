// The demo job end to end on the real corpus, shortened: it must learn genres well above chance.
import { trainBrownGenres, passagesOf } from '../lib/pipelines/brown-genres';
import { loadBrownCorpus } from '../lib/data/brown';
import { deviceDescribe, useEmulatedDevice } from './cuda-device-helpers';

describe('Brown corpus genre demo', () => {
  it('reads 500 documents in 15 genres with about a million words', () => {
    const docs = loadBrownCorpus();
    expect(docs.length).toBe(500);
    expect(new Set(docs.map((d) => d.genre)).size).toBe(15);
    let words = 0;
    for (const d of docs) for (const s of d.sentences) words += s.length;
    expect(words).toBeGreaterThan(1_100_000);
    expect(docs[0].sentences[0].slice(0, 4)).toEqual(['the', 'fulton', 'county', 'grand']);
    const passages = passagesOf(docs[0], 200);
    expect(passages.every((p) => p.length >= 100 && p.length <= 200)).toBe(true);
  });

  it('trains to well above chance on held-out documents, reproducibly', () => {
    const logs: string[] = [];
    const res = trainBrownGenres({ epochs: 3, seed: 3, log: (l) => logs.push(l) });
    expect(res.classes.length).toBe(15);
    const first = res.epochs[0];
    const last = res.epochs[res.epochs.length - 1];
    expect(last.trainLoss).toBeLessThan(first.trainLoss);
    // Chance is 1/15 = 6.7%; the majority genre (learned) is about 16% of passages.
    expect(last.testAccuracy).toBeGreaterThan(0.3);
    expect(logs.some((l) => l.startsWith('epoch  3'))).toBe(true);
  });
});

deviceDescribe('Brown corpus genre demo on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });
  it('trains on cuda as on the CPU (same losses and accuracies)', () => {
    const small = {
      epochs: 1,
      hidden: 8,
      maxFeatures: 300,
      passageWords: 2000,
      batchSize: 128,
      seed: 2,
      log: () => {},
    };
    const cpu = trainBrownGenres(small);
    const cuda = trainBrownGenres({ ...small, device: 'cuda' });
    const [c] = cpu.epochs;
    const [d] = cuda.epochs;
    expect(d.trainLoss).toBeCloseTo(c.trainLoss, 4);
    expect(d.testLoss).toBeCloseTo(c.testLoss, 4);
    expect(d.trainAccuracy).toBeCloseTo(c.trainAccuracy, 3);
    expect(d.testAccuracy).toBeCloseTo(c.testAccuracy, 3);
  });
});
