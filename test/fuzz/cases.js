// Valid calls for every native export, used by harness.js as the starting points for mutation.
// Each entry maps an export name to a function (alloc) => array of argument lists, where
// alloc(Ctor, length) gives a guarded typed array. A new native export must add its entry here (or
// in a cases-<concern>.js beside it, which exports { cases, large? } the same way): the fuzz test
// fails on any export without one. `large` holds valid calls that run unmutated (threading, SIMD
// tails); the `empty` templates below give every size-taking export an all-zero call.
//
// Sizes are small and odd (3 x 5 x 7) so that an off-by-one in a length check shows up as a guard
// write; each export gets a few templates covering its modes (transposes, null optional arrays, op
// codes, dtypes). Every mutation multiplies the cost, so templates are kept to what adds coverage.
'use strict';

function filled(alloc, Ctor, n, f) {
  const a = alloc(Ctor, n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

// Plausible float data: varied signs and magnitudes, no NaN.
const f32 = (alloc, n, scale = 1) => filled(alloc, Float32Array, n, (i) => scale * Math.sin(1.3 * i + 0.7));
// Probabilities in (0, 1).
const prob = (alloc, n) => filled(alloc, Float32Array, n, (i) => 0.5 + 0.45 * Math.sin(2.1 * i + 0.3));
// Positive values (variances, second moments).
const pos = (alloc, n) => filled(alloc, Float32Array, n, (i) => 0.1 + Math.abs(Math.sin(0.9 * i)));
// Valid ids in [0, hi).
const ids = (alloc, n, hi) => filled(alloc, Int32Array, n, (i) => (i * 7 + 3) % hi);
const i32 = (alloc, n) => filled(alloc, Int32Array, n, (i) => ((i * 5) % 11) - 5);
const zeros = (alloc, n) => alloc(Float32Array, n);

// A [R, C] CSR matrix with a few empty rows and repeated columns absent.
function csr(alloc, R, C) {
  const rows = [];
  for (let r = 0; r < R; r++) {
    const cols = [];
    if (r % 3 !== 1) for (let c = r % 2; c < C; c += 2) cols.push(c);
    rows.push(cols);
  }
  const nnz = rows.reduce((s, c) => s + c.length, 0);
  const indptr = alloc(Int32Array, R + 1);
  const indices = alloc(Int32Array, nnz);
  const values = f32(alloc, nnz);
  let k = 0;
  rows.forEach((cols, r) => {
    for (const c of cols) indices[k++] = c;
    indptr[r + 1] = k;
  });
  return [indptr, indices, values];
}

const cases = {
  backendInfo: () => [[]],
  getNumThreads: () => [[]],
  setNumThreads: () => [[2], [0]],
  setSimdLevel: () => [['avx2'], ['sse2']],
  randomFill: (alloc) => [
    [0, alloc(Float32Array, 33), 1, 0, 0, 1],
    [1, alloc(Float32Array, 7), 5, 3, 0, 1],
    [2, alloc(Float32Array, 9), 2, 0, 0.5, 2],
    [3, alloc(Uint32Array, 5), 2, 10],
  ],

  // --- elementwise.cc ---
  // binaryForward(op, out, a, b, shape, aStrides, bStrides, alpha)
  binaryForward: (alloc) => [
    // add with alpha, b broadcast along dim 1
    [0, zeros(alloc, 105), f32(alloc, 105), f32(alloc, 21), [3, 5, 7], [35, 7, 1], [7, 0, 1], 2],
    // pow with a broadcast scalar exponent
    [4, zeros(alloc, 35), pos(alloc, 35), f32(alloc, 1), [5, 7], [7, 1], [0, 0], 1],
    // maximum with a transposed (non-contiguous) a, 0-d shapes are covered by mutation
    [5, zeros(alloc, 15), f32(alloc, 15), f32(alloc, 5), [3, 5], [1, 3], [0, 1], 1],
  ],
  // binaryBackward(op, da|null, db|null, g, a, b, out, shape, aStrides, bStrides): op in mul..minimum
  binaryBackward: (alloc) => [
    [
      2,
      zeros(alloc, 105),
      zeros(alloc, 105),
      f32(alloc, 105),
      f32(alloc, 105),
      f32(alloc, 21),
      f32(alloc, 105),
      [3, 5, 7],
      [35, 7, 1],
      [7, 0, 1],
    ],
    [4, zeros(alloc, 35), null, f32(alloc, 35), pos(alloc, 35), f32(alloc, 1), f32(alloc, 35), [5, 7], [7, 1], [0, 0]],
    [6, null, zeros(alloc, 15), f32(alloc, 15), f32(alloc, 15), f32(alloc, 5), f32(alloc, 15), [3, 5], [1, 3], [0, 1]],
  ],
  // compare(op, out: Int32Array, a, b, shape, aStrides, bStrides)
  compare: (alloc) => [
    [2, alloc(Int32Array, 105), f32(alloc, 105), f32(alloc, 7), [3, 5, 7], [35, 7, 1], [0, 0, 1]],
    [0, alloc(Int32Array, 15), i32(alloc, 15), i32(alloc, 3), [3, 5], [5, 1], [1, 0]],
  ],
  // where(out, cond: Int32Array, a, b, shape, condStrides, aStrides, bStrides)
  where: (alloc) => [
    [zeros(alloc, 105), ids(alloc, 35, 2), f32(alloc, 105), f32(alloc, 1), [3, 5, 7], [0, 7, 1], [35, 7, 1], [0, 0, 0]],
    [alloc(Int32Array, 15), ids(alloc, 15, 2), i32(alloc, 5), i32(alloc, 15), [3, 5], [5, 1], [0, 1], [1, 3]],
  ],
  // unaryForward(op, out, x, p0, p1)
  unaryForward: (alloc) => [
    [13, zeros(alloc, 35), f32(alloc, 35, 30), 1, 20], // softplus(beta, threshold)
    [15, zeros(alloc, 35), f32(alloc, 35), -0.5, 0.5], // clamp
    [2, zeros(alloc, 9), pos(alloc, 9), 0, 0], // log
  ],
  // unaryBackward(op, dx, g, x|null, y|null, p0, p1): exp reads y, gelu reads x, neg neither
  unaryBackward: (alloc) => [
    [1, zeros(alloc, 35), f32(alloc, 35), null, pos(alloc, 35), 0, 0],
    [11, zeros(alloc, 35), f32(alloc, 35), f32(alloc, 35), null, 0, 0],
    [0, zeros(alloc, 7), f32(alloc, 7), null, null, 0, 0],
  ],

  // --- gemm.cc ---
  // sgemm(transA, transB, M, N, K, alpha, A, aOffset, lda, B, bOffset, ldb, beta, C, cOffset, ldc)
  sgemm: (alloc) => [
    [false, false, 3, 5, 7, 1, f32(alloc, 21), 0, 7, f32(alloc, 35), 0, 5, 0, zeros(alloc, 15), 0, 5],
    // both transposed, with offsets and padded leading dimensions: A^T stored [7, 3] (lda 4),
    // B^T stored [5, 7] (ldb 9), C [3, 5] (ldc 6)
    [true, true, 3, 5, 7, 0.5, f32(alloc, 29), 2, 4, f32(alloc, 44), 1, 9, 0.25, f32(alloc, 20), 3, 6],
    // one row of A and C, one row of B^T: lda, ldb and ldc mutated to huge values stay valid
    [false, true, 1, 1, 7, 1, f32(alloc, 7), 0, 7, f32(alloc, 7), 0, 7, 0, zeros(alloc, 1), 0, 1],
  ],
  // sgemmPacked: the arguments of sgemm, through the pre-packed-B path
  sgemmPacked: (alloc) => [
    [false, false, 3, 5, 7, 1, f32(alloc, 21), 0, 7, f32(alloc, 35), 0, 5, 0, zeros(alloc, 15), 0, 5],
    [true, true, 3, 5, 7, 0.5, f32(alloc, 29), 2, 4, f32(alloc, 44), 1, 9, 0.25, f32(alloc, 20), 3, 6],
  ],
  // sgemmStridedBatched(... as sgemm ..., batch, strideA, strideB, strideC)
  sgemmStridedBatched: (alloc) => [
    [false, true, 3, 5, 7, 1, f32(alloc, 42), 0, 7, f32(alloc, 70), 0, 7, 0, zeros(alloc, 30), 0, 5, 2, 21, 35, 15],
    // B shared by the batch (strideB 0); C interleaved row by row (ldc 15, strideC 5)
    [true, false, 3, 5, 7, 1, f32(alloc, 63), 0, 3, f32(alloc, 35), 0, 5, 1, f32(alloc, 45), 0, 15, 3, 21, 0, 5],
  ],
  gemmKernelName: () => [[]],

  // --- layout.cc ---
  // stridedCopy(dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape)
  stridedCopy: (alloc) => [
    // contiguous [3, 5, 7] -> its transpose layout
    [zeros(alloc, 105), 0, [1, 3, 15], f32(alloc, 105), 0, [35, 7, 1], [3, 5, 7]],
    // int32 with offsets and a broadcast source dimension
    [alloc(Int32Array, 20), 2, [6, 1], i32(alloc, 9), 4, [0, 1], [3, 5]],
  ],

  // --- reduce.cc ---
  // sumForward(out, x, outer, reduced, inner[, divisor]) (divisor: mean's count)
  sumForward: (alloc) => [
    [zeros(alloc, 21), f32(alloc, 105), 3, 5, 7],
    [zeros(alloc, 1), f32(alloc, 9), 1, 9, 1],
    [zeros(alloc, 21), f32(alloc, 105), 3, 5, 7, 5],
  ],
  // allFinite(x)
  allFinite: (alloc) => [[f32(alloc, 105)], [zeros(alloc, 0)]],
  // maxForward(isMax, values|null, indices, x, outer, reduced, inner)
  maxForward: (alloc) => [
    [true, zeros(alloc, 21), alloc(Int32Array, 21), f32(alloc, 105), 3, 5, 7],
    [false, null, alloc(Int32Array, 3), f32(alloc, 15), 3, 5, 1],
  ],
  // maxBackward(dx, g, indices, outer, reduced, inner)
  maxBackward: (alloc) => [[zeros(alloc, 105), f32(alloc, 21), ids(alloc, 21, 5), 3, 5, 7]],
  // logsumexpForward(out, x, outer, reduced, inner)
  logsumexpForward: (alloc) => [[zeros(alloc, 21), f32(alloc, 105, 50), 3, 5, 7]],

  // --- loss.cc ---
  // crossEntropyForward(loss, lse, logits, target, weight|null, N, C, S, ignoreIndex, labelSmoothing)
  crossEntropyForward: (alloc) => {
    const t = ids(alloc, 21, 5);
    t[4] = -100;
    return [
      [zeros(alloc, 21), zeros(alloc, 21), f32(alloc, 105), t, pos(alloc, 5), 3, 5, 7, -100, 0.1],
      [zeros(alloc, 3), zeros(alloc, 3), f32(alloc, 15), ids(alloc, 3, 5), null, 3, 5, 1, 2, 0],
    ];
  },
  // crossEntropyBackward(dlogits, dloss, logits, lse, target, weight|null, N, C, S, ignoreIndex,
  //                      labelSmoothing, dlossStride, scale)
  crossEntropyBackward: (alloc) => {
    const t = ids(alloc, 21, 5);
    t[4] = -100;
    return [
      [zeros(alloc, 105), f32(alloc, 21), f32(alloc, 105), pos(alloc, 21), t, pos(alloc, 5), 3, 5, 7, -100, 0.1, 1, 1],
      [
        zeros(alloc, 15),
        f32(alloc, 1),
        f32(alloc, 15),
        pos(alloc, 3),
        ids(alloc, 3, 5),
        null,
        3,
        5,
        1,
        -100,
        0,
        0,
        1 / 3,
      ],
    ];
  },
  // crossEntropyProbForward(loss, lse, logits, target, weight|null, N, C, S, labelSmoothing)
  crossEntropyProbForward: (alloc) => [
    [zeros(alloc, 21), zeros(alloc, 21), f32(alloc, 105), prob(alloc, 105), pos(alloc, 5), 3, 5, 7, 0.2],
    [zeros(alloc, 3), zeros(alloc, 3), f32(alloc, 15), prob(alloc, 15), null, 3, 5, 1, 0],
  ],
  // crossEntropyProbBackward(dlogits|null, dtarget|null, dloss, logits, lse, target, weight|null, N, C, S,
  //                          labelSmoothing, dlossStride, scale)
  crossEntropyProbBackward: (alloc) => [
    [
      zeros(alloc, 105),
      zeros(alloc, 105),
      f32(alloc, 21),
      f32(alloc, 105),
      pos(alloc, 21),
      prob(alloc, 105),
      pos(alloc, 5),
      3,
      5,
      7,
      0.2,
      1,
      1,
    ],
    [null, zeros(alloc, 15), f32(alloc, 1), f32(alloc, 15), pos(alloc, 3), prob(alloc, 15), null, 3, 5, 1, 0, 0, 0.5],
  ],
  // bceLogitsForward(loss, x, t, weight|null, posWeight|null)
  bceLogitsForward: (alloc) => [
    [zeros(alloc, 35), f32(alloc, 35, 5), prob(alloc, 35), pos(alloc, 35), pos(alloc, 35)],
    [zeros(alloc, 7), f32(alloc, 7), prob(alloc, 7), null, null],
  ],
  // bceLogitsBackward(dx|null, dt|null, dloss, x, t, weight|null, posWeight|null, dlossStride, scale)
  bceLogitsBackward: (alloc) => [
    [
      zeros(alloc, 35),
      zeros(alloc, 35),
      f32(alloc, 35),
      f32(alloc, 35, 5),
      prob(alloc, 35),
      pos(alloc, 35),
      pos(alloc, 35),
      1,
      1,
    ],
    [zeros(alloc, 7), null, f32(alloc, 1), f32(alloc, 7), prob(alloc, 7), null, null, 0, 1 / 7],
  ],

  // --- nnops.cc ---
  // softmaxForward(y, x, outer, dim, inner, log)
  softmaxForward: (alloc) => [
    [zeros(alloc, 105), f32(alloc, 105, 40), 3, 5, 7, false],
    [zeros(alloc, 15), f32(alloc, 15), 3, 5, 1, true],
  ],
  // softmaxBackward(dx, dy, y, outer, dim, inner, log)
  softmaxBackward: (alloc) => [
    [zeros(alloc, 105), f32(alloc, 105), prob(alloc, 105), 3, 5, 7, false],
    [zeros(alloc, 15), f32(alloc, 15), f32(alloc, 15), 3, 5, 1, true],
  ],
  // layerNormForward(y, mean, rstd, x, weight|null, bias|null, M, N, eps)
  layerNormForward: (alloc) => [
    [zeros(alloc, 35), zeros(alloc, 5), zeros(alloc, 5), f32(alloc, 35), f32(alloc, 7), f32(alloc, 7), 5, 7, 1e-5],
    [zeros(alloc, 15), zeros(alloc, 3), zeros(alloc, 3), f32(alloc, 15), null, null, 3, 5, 0],
  ],
  // layerNormBackward(dx|null, dweight|null, dbias|null, dy, x, mean, rstd, weight|null, M, N)
  layerNormBackward: (alloc) => [
    [
      zeros(alloc, 35),
      zeros(alloc, 7),
      zeros(alloc, 7),
      f32(alloc, 35),
      f32(alloc, 35),
      f32(alloc, 5),
      pos(alloc, 5),
      f32(alloc, 7),
      5,
      7,
    ],
    [zeros(alloc, 15), null, null, f32(alloc, 15), f32(alloc, 15), f32(alloc, 3), pos(alloc, 3), null, 3, 5],
  ],
  // indexSelectForward(out, x, index, outer, nSrc, nIdx, inner)
  indexSelectForward: (alloc) => [
    [zeros(alloc, 3 * 9 * 7), f32(alloc, 105), ids(alloc, 9, 5), 3, 5, 9, 7],
    [zeros(alloc, 22), f32(alloc, 55), ids(alloc, 2, 5), 1, 5, 2, 11], // embedding: rows of an [5, 11] table
  ],
  // indexSelectBackward(dx, dy, index, outer, nSrc, nIdx, inner, skip)
  indexSelectBackward: (alloc) => [
    [zeros(alloc, 105), f32(alloc, 3 * 9 * 7), ids(alloc, 9, 5), 3, 5, 9, 7, -1],
    [zeros(alloc, 55), f32(alloc, 66), ids(alloc, 6, 5), 1, 5, 6, 11, 3], // embedding with padding_idx 3
  ],
  // gatherForward(out, x, index, xShape, indexShape, dim)
  gatherForward: (alloc) => [
    [zeros(alloc, 3 * 4 * 7), f32(alloc, 105), ids(alloc, 84, 5), [3, 5, 7], [3, 4, 7], 1],
    [zeros(alloc, 6), f32(alloc, 15), ids(alloc, 6, 3), [3, 5], [2, 3], 0],
    [zeros(alloc, 1), f32(alloc, 1), ids(alloc, 1, 1), [], [], 0],
  ],
  // gatherBackward(dx, dy, index, xShape, indexShape, dim)
  gatherBackward: (alloc) => [
    [zeros(alloc, 105), f32(alloc, 3 * 4 * 7), ids(alloc, 84, 7), [3, 5, 7], [3, 4, 7], 2],
    [zeros(alloc, 15), f32(alloc, 8), ids(alloc, 8, 3), [3, 5], [4, 2], 0],
  ],

  // --- optim.cc ---
  // adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq|null, lr, beta1, beta2, eps, weightDecay,
  //            step, amsgrad, maximize, decoupled)
  adamUpdate: (alloc) => [
    [
      f32(alloc, 35),
      f32(alloc, 35),
      f32(alloc, 35, 0.1),
      pos(alloc, 35),
      null,
      1e-3,
      0.9,
      0.999,
      1e-8,
      0,
      3,
      false,
      false,
      false,
    ],
    [
      f32(alloc, 7),
      f32(alloc, 7),
      f32(alloc, 7),
      pos(alloc, 7),
      pos(alloc, 7),
      1e-2,
      0.8,
      0.99,
      1e-6,
      0.1,
      1,
      true,
      true,
      true,
    ],
  ],
  // sgdUpdate(param, grad, buf|null, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
  sgdUpdate: (alloc) => [
    [f32(alloc, 35), f32(alloc, 35), null, 0.1, 0, 0, 0, false, false, true],
    [f32(alloc, 7), f32(alloc, 7), f32(alloc, 7), 0.1, 0.9, 0.1, 1e-4, true, true, false],
  ],
  // powSum(x, p)
  powSum: (alloc) => [
    [f32(alloc, 35), 2],
    [f32(alloc, 7), 1.5],
  ],
  // absMax(x)
  absMax: (alloc) => [[f32(alloc, 35)]],

  // --- sparse.cc ---
  // spmm(out, indptr, indices, values, dense, R, C, H): out[R, H] = A[R, C] dense[C, H]
  spmm: (alloc) => [
    [zeros(alloc, 35), ...csr(alloc, 5, 3), f32(alloc, 21), 5, 3, 7],
    [zeros(alloc, 4), ...csr(alloc, 4, 9), f32(alloc, 9), 4, 9, 1],
    [zeros(alloc, 0), ...csr(alloc, 0, 3), f32(alloc, 0), 0, 3, 0],
  ],
  // spmmTransposed(out, indptr, indices, values, g, R, C, H): out[C, H] = A[R, C]^T g[R, H]
  spmmTransposed: (alloc) => [
    [zeros(alloc, 21), ...csr(alloc, 5, 3), f32(alloc, 35), 5, 3, 7],
    [zeros(alloc, 9), ...csr(alloc, 4, 9), f32(alloc, 4), 4, 9, 1],
    // empty: a size mutated to huge is then backed by no array at all
    [zeros(alloc, 0), ...csr(alloc, 0, 3), f32(alloc, 0), 0, 3, 0],
  ],
  // csrValidate(indptr, indices, values, R, C)
  csrValidate: (alloc) => [
    [...csr(alloc, 5, 3), 5, 3],
    [...csr(alloc, 4, 9), 4, 9],
  ],
};

// Empty calls: every size zero and every array empty, so that a size mutated to a huge value is
// backed by no array at all (a kernel that still loops over it, or allocates for it, hangs).
const empty = {
  binaryForward: (alloc) => [[2, zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), [0, 3], [3, 1], [0, 1], 1]],
  stridedCopy: (alloc) => [[zeros(alloc, 0), 0, [1, 0], zeros(alloc, 0), 0, [0, 1], [0, 3]]],
  sgemm: (alloc) => [
    [false, false, 0, 0, 0, 1, zeros(alloc, 0), 0, 1, zeros(alloc, 0), 0, 1, 0, zeros(alloc, 0), 0, 1],
  ],
  sgemmStridedBatched: (alloc) => [
    [false, false, 0, 0, 0, 1, zeros(alloc, 0), 0, 1, zeros(alloc, 0), 0, 1, 0, zeros(alloc, 0), 0, 1, 0, 0, 0, 0],
  ],
  sumForward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), 0, 0, 0]],
  maxForward: (alloc) => [[true, zeros(alloc, 0), alloc(Int32Array, 0), zeros(alloc, 0), 0, 3, 0]],
  logsumexpForward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), 0, 0, 0]],
  softmaxForward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), 0, 0, 0, false]],
  softmaxBackward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), 0, 0, 0, true]],
  layerNormForward: (alloc) => [
    [zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), null, null, 0, 0, 1e-5],
  ],
  layerNormBackward: (alloc) => [
    [
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      zeros(alloc, 0),
      0,
      0,
    ],
  ],
  indexSelectForward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), alloc(Int32Array, 0), 0, 0, 0, 0]],
  indexSelectBackward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), alloc(Int32Array, 0), 0, 0, 0, 0, -1]],
  gatherForward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), alloc(Int32Array, 0), [0, 3], [0, 3], 1]],
  gatherBackward: (alloc) => [[zeros(alloc, 0), zeros(alloc, 0), alloc(Int32Array, 0), [3, 0], [3, 0], 0]],
  crossEntropyForward: (alloc) => [
    [zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), alloc(Int32Array, 0), null, 0, 0, 0, -100, 0],
  ],
  crossEntropyBackward: (alloc) => [
    [
      zeros(alloc, 0),
      zeros(alloc, 1),
      zeros(alloc, 0),
      zeros(alloc, 0),
      alloc(Int32Array, 0),
      null,
      0,
      0,
      0,
      -100,
      0,
      0,
      1,
    ],
  ],
  crossEntropyProbForward: (alloc) => [
    [zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), null, 0, 0, 0, 0],
  ],
  crossEntropyProbBackward: (alloc) => [
    [zeros(alloc, 0), null, zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), zeros(alloc, 0), null, 0, 0, 0, 0, 1, 1],
  ],
  csrValidate: (alloc) => [[...csr(alloc, 0, 0), 0, 0]],
};
for (const [name, make] of Object.entries(empty)) {
  const base = cases[name];
  cases[name] = (alloc) => [...base(alloc), ...make(alloc)];
}

// Valid calls big enough to cross the kernels' threading grains and to take their SIMD main loops and
// tails; harness.js runs them (unmutated) under every SIMD level and checks their guard zones.
const large = {
  binaryForward: (alloc) => [
    [
      3,
      zeros(alloc, 33 * 67 * 41),
      f32(alloc, 33 * 67 * 41),
      pos(alloc, 67 * 41),
      [33, 67, 41],
      [67 * 41, 41, 1],
      [0, 41, 1],
      1,
    ],
  ],
  unaryForward: (alloc) => [[11, zeros(alloc, 70001), f32(alloc, 70001, 4), 0, 0]],
  stridedCopy: (alloc) => [[zeros(alloc, 257 * 263), 0, [1, 257], f32(alloc, 257 * 263), 0, [263, 1], [257, 263]]],
  sgemm: (alloc) => [
    [
      false,
      true,
      67,
      129,
      45,
      1,
      f32(alloc, 67 * 45),
      0,
      45,
      f32(alloc, 129 * 45),
      0,
      45,
      0,
      zeros(alloc, 67 * 129),
      0,
      129,
    ],
    [
      true,
      false,
      131,
      9,
      257,
      1,
      f32(alloc, 257 * 131),
      0,
      131,
      f32(alloc, 257 * 9),
      0,
      9,
      1,
      f32(alloc, 131 * 9),
      0,
      9,
    ],
  ],
  sumForward: (alloc) => [
    [zeros(alloc, 33 * 41), f32(alloc, 33 * 67 * 41), 33, 67, 41],
    [zeros(alloc, 3), f32(alloc, 3 * 40001), 3, 40001, 1],
  ],
  maxForward: (alloc) => [
    [true, zeros(alloc, 33 * 41), alloc(Int32Array, 33 * 41), f32(alloc, 33 * 67 * 41), 33, 67, 41],
  ],
  logsumexpForward: (alloc) => [[zeros(alloc, 999), f32(alloc, 999 * 67), 999, 67, 1]],
  softmaxForward: (alloc) => [
    [zeros(alloc, 333 * 257), f32(alloc, 333 * 257, 10), 333, 257, 1, true],
    [zeros(alloc, 33 * 67 * 41), f32(alloc, 33 * 67 * 41), 33, 67, 41, false],
  ],
  layerNormForward: (alloc) => [
    [
      zeros(alloc, 333 * 257),
      zeros(alloc, 333),
      zeros(alloc, 333),
      f32(alloc, 333 * 257),
      f32(alloc, 257),
      f32(alloc, 257),
      333,
      257,
      1e-5,
    ],
  ],
  layerNormBackward: (alloc) => [
    [
      zeros(alloc, 333 * 257),
      zeros(alloc, 257),
      zeros(alloc, 257),
      f32(alloc, 333 * 257),
      f32(alloc, 333 * 257),
      f32(alloc, 333),
      pos(alloc, 333),
      f32(alloc, 257),
      333,
      257,
    ],
  ],
  crossEntropyForward: (alloc) => [
    [zeros(alloc, 231), zeros(alloc, 231), f32(alloc, 33 * 517 * 7), ids(alloc, 231, 517), null, 33, 517, 7, -100, 0.1],
  ],
  indexSelectBackward: (alloc) => [
    [zeros(alloc, 101 * 67), f32(alloc, 999 * 67), ids(alloc, 999, 101), 1, 101, 999, 67, 5],
  ],
  adamUpdate: (alloc) => [
    [
      f32(alloc, 70001),
      f32(alloc, 70001),
      f32(alloc, 70001),
      pos(alloc, 70001),
      pos(alloc, 70001),
      1e-3,
      0.9,
      0.999,
      1e-8,
      0.01,
      7,
      true,
      false,
      true,
    ],
  ],
  spmm: (alloc) => [[zeros(alloc, 301 * 67), ...csr(alloc, 301, 211), f32(alloc, 211 * 67), 301, 211, 67]],
  spmmTransposed: (alloc) => [[zeros(alloc, 211 * 67), ...csr(alloc, 301, 211), f32(alloc, 301 * 67), 301, 211, 67]],
};

// Random valid GEMM shapes (fixed seed): transposes, offsets, padded leading dimensions and batch
// strides around the micro-kernels' tile sizes, so every edge path of the packing and the tails runs
// with guard zones (and the second run's different guard bytes) around A, B and C.
function gemmShapes(alloc, batched) {
  let st = batched ? 777 : 4242;
  const r = (n) => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    return st % n;
  };
  const out = [];
  for (let t = 0; t < 24; t++) {
    const ta = r(2) === 1;
    const tb = r(2) === 1;
    const [m, n, k] = [1 + r(40), 1 + r(60), 1 + r(70)];
    const batch = batched ? 1 + r(3) : 1;
    const [ar, ac] = ta ? [k, m] : [m, k];
    const [br, bc] = tb ? [n, k] : [k, n];
    const lda = ac + r(3);
    const ldb = bc + r(3);
    const ldc = n + r(3);
    const [ao, bo, co] = [r(4), r(4), r(4)];
    const sa = (ar - 1) * lda + ac + r(5);
    const sb = r(3) === 0 ? 0 : (br - 1) * ldb + bc + r(5);
    const sc = (m - 1) * ldc + n + r(5);
    const A = f32(alloc, ao + (batch - 1) * sa + (ar - 1) * lda + ac);
    const B = f32(alloc, bo + (batch - 1) * sb + (br - 1) * ldb + bc);
    const C = f32(alloc, co + (batch - 1) * sc + (m - 1) * ldc + n);
    const beta = r(2) ? 0 : 0.5;
    const args = [ta, tb, m, n, k, 1, A, ao, lda, B, bo, ldb, beta, C, co, ldc];
    out.push(batched ? [...args, batch, sa, sb, sc] : args);
  }
  return out;
}
for (const [name, batched] of [
  ['sgemm', false],
  ['sgemmStridedBatched', true],
]) {
  const base = large[name] || (() => []);
  large[name] = (alloc) => [...base(alloc), ...gemmShapes(alloc, batched)];
}

// Random valid layouts (fixed seed): permuted and broadcast strides over shapes of rank 1 to 4 for
// the strided copy and the broadcasting binary kernels.
function layouts(seed) {
  let st = seed;
  const r = (n) => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    return st % n;
  };
  const out = [];
  for (let t = 0; t < 24; t++) {
    const rank = 1 + r(4);
    const shape = Array.from({ length: rank }, () => 1 + r(rank > 2 ? 9 : 40));
    // A source laid out in a random dimension order, some dimensions broadcast (stride 0).
    const order = shape.map((_, d) => d).sort(() => r(3) - 1);
    const strides = new Array(rank).fill(0);
    let len = 1;
    for (const d of order.reverse()) {
      if (r(4) === 0) continue;
      strides[d] = len;
      len *= shape[d];
    }
    out.push({ shape, strides, len, offset: r(3), r });
  }
  return out;
}
const contiguous = (shape) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
const numel = (shape) => shape.reduce((a, b) => a * b, 1);
large.stridedCopy = (alloc) =>
  layouts(99).map(({ shape, strides, len, offset }) => [
    zeros(alloc, numel(shape)),
    0,
    contiguous(shape),
    f32(alloc, len + offset),
    offset,
    strides,
    shape,
  ]);
large.binaryForward = ((base) => (alloc) => [
  ...base(alloc),
  ...layouts(5).map(({ shape, strides, len, r }) => [
    r(7),
    zeros(alloc, numel(shape)),
    pos(alloc, len),
    pos(alloc, numel(shape)),
    shape,
    strides,
    contiguous(shape),
    1,
  ]),
])(large.binaryForward);

// Random valid [outer, dim, inner] views (fixed seed) for the row-wise kernels, around their SIMD
// widths and threading grains.
function triples(seed, count = 16) {
  let st = seed;
  const r = (n) => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    return st % n;
  };
  return Array.from({ length: count }, () => [1 + r(20), 1 + r(r(2) ? 300 : 40), r(3) ? 1 : 1 + r(30)]);
}
const extend = (name, more) => {
  const base = large[name] || (() => []);
  large[name] = (alloc) => [...base(alloc), ...more(alloc)];
};
extend('softmaxForward', (alloc) =>
  triples(1).map(([o, d, i], t) => [zeros(alloc, o * d * i), f32(alloc, o * d * i, 20), o, d, i, t % 2 === 0]),
);
extend('softmaxBackward', (alloc) =>
  triples(2).map(([o, d, i], t) => [
    zeros(alloc, o * d * i),
    f32(alloc, o * d * i),
    prob(alloc, o * d * i),
    o,
    d,
    i,
    t % 2 === 0,
  ]),
);
extend('sumForward', (alloc) => triples(3).map(([o, d, i]) => [zeros(alloc, o * i), f32(alloc, o * d * i), o, d, i]));
extend('maxForward', (alloc) =>
  triples(4).map(([o, d, i], t) => [
    t % 2 === 0,
    zeros(alloc, o * i),
    alloc(Int32Array, o * i),
    f32(alloc, o * d * i),
    o,
    d,
    i,
  ]),
);
extend('logsumexpForward', (alloc) =>
  triples(5).map(([o, d, i]) => [zeros(alloc, o * i), f32(alloc, o * d * i, 30), o, d, i]),
);
extend('layerNormForward', (alloc) =>
  triples(6).map(([m, n], t) => [
    zeros(alloc, m * n),
    zeros(alloc, m),
    zeros(alloc, m),
    f32(alloc, m * n),
    t % 2 ? f32(alloc, n) : null,
    t % 3 ? f32(alloc, n) : null,
    m,
    n,
    1e-5,
  ]),
);
extend('layerNormBackward', (alloc) =>
  triples(7).map(([m, n], t) => [
    zeros(alloc, m * n),
    t % 2 ? zeros(alloc, n) : null,
    t % 3 ? zeros(alloc, n) : null,
    f32(alloc, m * n),
    f32(alloc, m * n),
    f32(alloc, m),
    pos(alloc, m),
    t % 2 ? f32(alloc, n) : null,
    m,
    n,
  ]),
);

module.exports = { cases, large, filled };
