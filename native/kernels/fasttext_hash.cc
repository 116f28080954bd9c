#include "kernels/fasttext_hash.h"

namespace tk {

uint32_t fasttext_hash(const char* s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) {
    h = h ^ uint32_t(int8_t(s[i]));  // sign extension of bytes >= 0x80, as fastText does
    h = h * 16777619u;
  }
  return h;
}

void fasttext_subwords(const std::string& word, int minn, int maxn, int64_t bucket, int64_t nwords,
                       std::vector<int32_t>* ids, std::vector<std::string>* grams) {
  for (size_t i = 0; i < word.size(); i++) {
    if ((word[i] & 0xC0) == 0x80) continue;
    std::string ngram;
    for (size_t j = i, n = 1; j < word.size() && n <= size_t(maxn < 0 ? 0 : maxn); n++) {
      ngram.push_back(word[j++]);
      while (j < word.size() && (word[j] & 0xC0) == 0x80) ngram.push_back(word[j++]);
      if (n >= size_t(minn < 0 ? 0 : minn) && !(n == 1 && (i == 0 || j == word.size()))) {
        if (ids && bucket > 0) {
          int64_t h = int64_t(fasttext_hash(ngram.data(), ngram.size()) % uint32_t(bucket));
          ids->push_back(int32_t(nwords + h));
        }
        if (grams) grams->push_back(ngram);
      }
    }
  }
}

}  // namespace tk
