// Fuzz starting points for the topic-model losses and samplers (native/binding/topic_losses.cc).
'use strict';
const { filled } = require('./cases');

const f32 = (alloc, n, scale = 1) => filled(alloc, Float32Array, n, (i) => scale * Math.sin(1.3 * i + 0.7));
// Rows on the simplex-ish range (0, 1), with a few exact zeros and ones (the clamps' edges).
const simplex = (alloc, n) =>
  filled(alloc, Float32Array, n, (i) => (i % 7 === 3 ? 0 : i % 11 === 5 ? 1 : 0.2 + 0.15 * Math.sin(2.1 * i)));
const zeros = (alloc, n) => alloc(Float32Array, n);
const pos = (alloc, n) => filled(alloc, Float32Array, n, (i) => 0.05 + Math.abs(Math.sin(0.9 * i)));

const cases = {
  // mmdForward(gx|null, gy|null, x, y, n, m, d, kernel, bandwidth)
  mmdForward: (alloc) => [
    [zeros(alloc, 3 * 5), zeros(alloc, 7 * 5), simplex(alloc, 3 * 5), simplex(alloc, 7 * 5), 3, 7, 5, 0, 1],
    [null, zeros(alloc, 2 * 3), f32(alloc, 5 * 3), f32(alloc, 2 * 3), 5, 2, 3, 1, 0.5],
    [zeros(alloc, 4 * 2), null, f32(alloc, 4 * 2), f32(alloc, 3 * 2), 4, 3, 2, 2, 2],
    [null, null, simplex(alloc, 2 * 1), simplex(alloc, 2 * 1), 2, 2, 1, 0, 0.3],
  ],
  // gaussianKlForward(loss, mu, logvar, B, J)
  gaussianKlForward: (alloc) => [
    [zeros(alloc, 3), f32(alloc, 3 * 5), f32(alloc, 3 * 5), 3, 5],
    [zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), 0, 4],
  ],
  // gaussianKlBackward(dmu|null, dlogvar|null, dloss, mu, logvar, B, J, dlossStride, scale)
  gaussianKlBackward: (alloc) => [
    [zeros(alloc, 3 * 5), zeros(alloc, 3 * 5), f32(alloc, 3), f32(alloc, 3 * 5), f32(alloc, 3 * 5), 3, 5, 1, 1],
    [null, zeros(alloc, 2 * 7), f32(alloc, 1), f32(alloc, 2 * 7), f32(alloc, 2 * 7), 2, 7, 0, 0.5],
  ],
  // gaussianMixtureKlForward(loss, logEta, z, mu, logvar, means, logvars, logPi, B, J, K)
  gaussianMixtureKlForward: (alloc) => [
    [
      zeros(alloc, 3),
      zeros(alloc, 3 * 4),
      f32(alloc, 3 * 5),
      f32(alloc, 3 * 5),
      f32(alloc, 3 * 5, 0.5),
      f32(alloc, 4 * 5),
      f32(alloc, 4 * 5, 0.5),
      filled(alloc, Float32Array, 4, () => Math.log(0.25)),
      3,
      5,
      4,
    ],
  ],
  // gaussianMixtureKlBackward(dz, dmu, dlogvar, dmeans, dlogvars, dlogPi, dloss, z, mu, logvar, means, logvars,
  //                           logPi, logEta, B, J, K, dlossStride, scale)
  gaussianMixtureKlBackward: (alloc) => {
    const [B, J, K] = [3, 5, 2];
    const logEta = filled(alloc, Float32Array, B * K, () => Math.log(0.5));
    return [
      [
        zeros(alloc, B * J),
        zeros(alloc, B * J),
        zeros(alloc, B * J),
        zeros(alloc, K * J),
        zeros(alloc, K * J),
        zeros(alloc, K),
        f32(alloc, B),
        f32(alloc, B * J),
        f32(alloc, B * J),
        f32(alloc, B * J, 0.5),
        f32(alloc, K * J),
        f32(alloc, K * J, 0.5),
        filled(alloc, Float32Array, K, () => Math.log(0.5)),
        logEta,
        B,
        J,
        K,
        1,
        1,
      ],
      [
        null,
        zeros(alloc, B * J),
        null,
        zeros(alloc, K * J),
        null,
        zeros(alloc, K),
        f32(alloc, 1),
        f32(alloc, B * J),
        f32(alloc, B * J),
        f32(alloc, B * J, 0.5),
        f32(alloc, K * J),
        f32(alloc, K * J, 0.5),
        filled(alloc, Float32Array, K, () => Math.log(0.5)),
        filled(alloc, Float32Array, B * K, () => Math.log(0.5)),
        B,
        J,
        K,
        0,
        0.25,
      ],
    ];
  },
  // gammaSample(out, concentration, seed, offset)
  gammaSample: (alloc) => [
    [zeros(alloc, 13), 0.3, 7, 0],
    [zeros(alloc, 5), 4.5, 1, 12],
  ],
  // dirichletSample(out, concentration, numSamples, K, seed, offset)
  dirichletSample: (alloc) => [
    [zeros(alloc, 3 * 4), pos(alloc, 4), 3, 4, 7, 0],
    [zeros(alloc, 0), pos(alloc, 2), 0, 2, 1, 5],
  ],
};

// Valid calls that run unmutated: several row blocks and key chunks (threading and tails).
const large = {
  mmdForward: (alloc) => [
    [zeros(alloc, 130 * 9), zeros(alloc, 600 * 9), simplex(alloc, 130 * 9), simplex(alloc, 600 * 9), 130, 600, 9, 0, 1],
  ],
  dirichletSample: (alloc) => [[zeros(alloc, 2000 * 5), pos(alloc, 5), 2000, 5, 3, 1]],
};

module.exports = { cases, large };
