// Top-k search over the rows of a matrix, for nearest-neighbour queries on word vectors.
#pragma once
#include <cstdint>

namespace tk {

// scores[N] = matrix[N, D] . query[D] (parallel over rows, SIMD through vec_dot).
void rows_dot_cpu(float* scores, const float* matrix, const float* query, int64_t N, int64_t D);

// The k largest scores (ties: lower index first), skipping rows listed in exclude[n_exclude] and
// NaN scores. Writes out_idx[k], out_score[k] in descending order; returns how many were found
// (< k when fewer rows qualify; the rest of out_idx is -1).
int64_t topk_scores_cpu(int32_t* out_idx, float* out_score, const float* scores, int64_t N, int64_t k,
                        const int32_t* exclude, int64_t n_exclude);

// rows_dot_cpu fused with topk_scores_cpu: no [N] buffer, each thread keeps its own heap.
int64_t topk_dot_cpu(int32_t* out_idx, float* out_score, const float* matrix, const float* query, int64_t N,
                     int64_t D, int64_t k, const int32_t* exclude, int64_t n_exclude);

// out[N, D] = rows of in scaled to unit L2 norm (zero rows stay zero); may alias.
void normalize_rows_cpu(float* out, const float* in, int64_t N, int64_t D);

}  // namespace tk
