// fastText's subword machinery (facebookresearch/fastText @ 1142dc4, src/dictionary.cc): FNV-1a
// over sign-extended bytes and n-grams over UTF-8 code points of "<" + word + ">".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tk {

// h = 2166136261; for each byte: h ^= uint32(int8_t(c)); h *= 16777619.
uint32_t fasttext_hash(const char* s, size_t n);

// Dictionary::computeSubwords on `wrapped` (already "<word>"): n-grams of n in [minn, maxn] code
// points, none of length 1 at either boundary. Appends bucket ids nwords + hash % bucket to `ids`
// (when non-null) and the n-gram strings to `grams` (when non-null), in fastText's order.
void fasttext_subwords(const std::string& wrapped, int minn, int maxn, int64_t bucket, int64_t nwords,
                       std::vector<int32_t>* ids, std::vector<std::string>* grams);

}  // namespace tk
