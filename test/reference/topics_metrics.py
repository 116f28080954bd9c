"""References for test/bow-corpus.test.ts and test/topics-metrics.test.ts (tk.text.BowCorpus,
tk.topics.npmi / diversity / topicUniqueness / documentCompletionPerplexity).

- Vocabulary and counts: scikit-learn's CountVectorizer with the same min_df / max_df / stop words /
  max_features, on pre-tokenised documents and on texts with sklearn's default token pattern.
- NPMI: a transcription of ETM's utils.get_topic_coherence (adjidieng/ETM), with two documented
  changes that tk.topics.npmi makes too: topN words (ETM takes argsort()[-11:], 11 words) and every
  document counted for D(w_i) (ETM skips one-word documents there, a squeeze() artefact).
- TD: ETM's get_topic_diversity; TU: W-LDA's calc_topic_uniqueness (awslabs/w-lda utils.py).
- Perplexity: ETM's evaluate() document completion (commit 52b090b main.py), in float64.
- Halves: ETM's scripts/data_20ng.py test split (drop documents with < 2 known tokens, token i in
  the first half when i <= len/2 - 1).

NumPy and scikit-learn only (no PyTorch): /usr/bin/python3 test/reference/topics_metrics.py
"""
import collections
import json
import math
import os

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

rng = np.random.default_rng(20261122)

# ---------------------------------------------------------------- texts for the vocabulary checks
content = (
    "topic model word corpus neural network kernel gradient matrix vector sparse dense token "
    "document vocabulary sample prior posterior mixture gaussian dirichlet embedding encoder decoder "
    "theta beta alpha entropy loss batch epoch train test score metric"
).split()
stops = "the a of and to in is it that this for on with as was be by are".split()
short = "x y z 1 2".split()
numeric = "2026 v2 k50".split()
pool = content + stops + short + numeric
weights = np.array([1.0 / (i + 1) ** 0.8 for i in range(len(content))] + [2.0] * len(stops) + [0.5] * len(short) + [0.3] * len(numeric))
weights /= weights.sum()


def make_texts(n, lo, hi):
    out = []
    for _ in range(n):
        L = int(rng.integers(lo, hi))
        words = list(rng.choice(pool, size=L, p=weights))
        # some capitals and punctuation so that the text cases exercise the tokenizer
        words = [w.capitalize() if rng.random() < 0.1 else w for w in words]
        out.append(" ".join(words) + rng.choice([".", "!", "?", ","]))
    return out


texts = make_texts(40, 3, 25)
texts[5] = "the of and"  # only stop words: an empty row when they are removed
token_docs = [t.lower().replace(".", " ").replace("!", " ").replace("?", " ").replace(",", " ").split() for t in texts]


def csr(m):
    m = m.tocsr()
    m.sort_indices()
    return {
        "shape": list(m.shape),
        "indptr": [int(v) for v in m.indptr],
        "indices": [int(v) for v in m.indices],
        "values": [float(v) for v in m.data],
    }


vocab_cases = []


def vocab_case(name, docs, opts, **kw):
    vec = CountVectorizer(**kw)
    x = vec.fit_transform(docs)
    vocab = [str(t) for t in vec.get_feature_names_out()]
    if "max_features" in kw:
        # sklearn breaks ties by an unstable argsort; make sure the case has none at the cut.
        full = CountVectorizer(**{k: v for k, v in kw.items() if k != "max_features"}).fit(docs)
        tf = np.asarray(full.transform(docs).sum(0)).ravel()
        s = np.sort(tf)[::-1]
        assert s[kw["max_features"] - 1] != s[kw["max_features"]], "tie at the max_features cut"
    vocab_cases.append({"name": name, "input": "tokens" if isinstance(docs[0], list) else "texts", "opts": opts, "vocab": vocab, "counts": csr(x)})


ident = lambda d: d  # noqa: E731
vocab_case("tokens_mindf2_maxdf08", token_docs, {"minDf": 2, "maxDf": 0.8}, analyzer=ident, min_df=2, max_df=0.8)
# a callable analyzer ignores stop_words in sklearn, so the stop words are removed here first
no_stop = [[w for w in d if w not in ENGLISH_STOP_WORDS] for d in token_docs]
vocab_case("tokens_stop_frac", no_stop, {"minDf": 0.1, "maxDf": 30, "stopwords": "english"}, analyzer=ident, min_df=0.1, max_df=30)
vocab_case("texts_default_pattern", texts, {"minDf": 1, "maxDf": 1}, min_df=1, max_df=1.0)
vocab_case("texts_english_maxfeatures", texts, {"minDf": 2, "maxDf": 0.9, "stopwords": "english", "vocabSize": 12}, min_df=2, max_df=0.9, stop_words="english", max_features=12)
vocab_case("texts_mindf3_maxdf05", texts, {"minDf": 3, "maxDf": 0.5}, min_df=3, max_df=0.5)

# ---------------------------------------------------------------- halves (ETM's data_20ng.py)
vocab_a = vocab_cases[0]["vocab"]
word2id = {w: j for j, w in enumerate(vocab_a)}
held_out = [list(rng.choice(pool, size=int(rng.integers(0, 12)))) for _ in range(12)]
held_out[0] = []
held_out[1] = ["2026"]  # out of vocabulary only
held_out[2] = [vocab_a[0]]  # one known token: dropped
held_out[3] = [vocab_a[1], "zzz", vocab_a[2]]  # two known tokens
docs_ts = [[word2id[w] for w in doc if w in word2id] for doc in held_out]
kept = [i for i, doc in enumerate(docs_ts) if doc != [] and len(doc) > 1]
docs_ts = [docs_ts[i] for i in kept]
docs_ts_h1 = [[w for i, w in enumerate(doc) if i <= len(doc) / 2.0 - 1] for doc in docs_ts]
docs_ts_h2 = [[w for i, w in enumerate(doc) if i > len(doc) / 2.0 - 1] for doc in docs_ts]


def dense_rows(docs, V):
    m = np.zeros((len(docs), V))
    for r, doc in enumerate(docs):
        for w in doc:
            m[r, w] += 1
    return m.tolist()


halves = {"documents": held_out, "ids": kept, "first": dense_rows(docs_ts_h1, len(vocab_a)), "second": dense_rows(docs_ts_h2, len(vocab_a))}

# ---------------------------------------------------------------- NPMI (ETM's get_topic_coherence)
V, K, Dref = 30, 4, 60
# documents drawn from 3 word clusters so that pairs within a cluster co-occur and across do not
clusters = [list(range(0, 12)), list(range(10, 22)), list(range(20, 30))]
ref_docs = []
for d in range(Dref):
    c = clusters[d % 3]
    L = int(rng.integers(2, 9))
    ref_docs.append(sorted(set(int(w) for w in rng.choice(c, size=L))))
ref_docs[7] = [3]  # a document with a single distinct word
ref_docs[8] = []  # an empty document still counts in D
beta = rng.random((K, V)) ** 3
beta /= beta.sum(1, keepdims=True)


def get_document_frequency(data, wi, wj=None):
    # ETM's function, without its `if len(doc) == 1: continue` for D(w_i) (see the docstring)
    if wj is None:
        return sum(1 for doc in data if wi in doc)
    D_wj = 0
    D_wi_wj = 0
    for doc in data:
        if wj in doc:
            D_wj += 1
            if wi in doc:
                D_wi_wj += 1
    return D_wj, D_wi_wj


def get_topic_coherence(beta, data, topn):
    D = len(data)
    TC = []
    num_topics = len(beta)
    per_topic = []
    for k in range(num_topics):
        top_10 = list(beta[k].argsort()[-topn:][::-1])  # ETM: [-11:]
        TC_k = 0
        counter = 0
        for i, word in enumerate(top_10):
            D_wi = get_document_frequency(data, word)
            j = i + 1
            tmp = 0
            while j < len(top_10) and j > i:
                D_wj, D_wi_wj = get_document_frequency(data, word, top_10[j])
                if D_wi_wj == 0:
                    f_wi_wj = -1
                else:
                    f_wi_wj = -1 + (np.log(D_wi) + np.log(D_wj) - 2.0 * np.log(D)) / (np.log(D_wi_wj) - np.log(D))
                tmp += f_wi_wj
                j += 1
                counter += 1
            TC_k += tmp
        TC.append(TC_k)
        per_topic.append(TC_k / counter)
    return float(np.mean(TC) / counter), [float(v) for v in per_topic]


def get_topic_diversity(beta, topk):
    num_topics = beta.shape[0]
    list_w = np.zeros((num_topics, topk))
    for k in range(num_topics):
        idx = beta[k, :].argsort()[-topk:][::-1]
        list_w[k, :] = idx
    n_unique = len(np.unique(list_w))
    return n_unique / (topk * num_topics)


def calc_topic_uniqueness(top_words_idx_all_topics):
    # W-LDA utils.py; returns the dict of per-topic scores, averaged below as W-LDA reports TU
    n_topics = len(top_words_idx_all_topics)
    word_cnt_dict = collections.Counter()
    for i in range(n_topics):
        word_cnt_dict.update(top_words_idx_all_topics[i])
    uniqueness_dict = dict()
    for i in range(n_topics):
        cnt_inv_sum = 0.0
        for ind in top_words_idx_all_topics[i]:
            cnt_inv_sum += 1.0 / word_cnt_dict[ind]
        uniqueness_dict[i] = cnt_inv_sum / len(top_words_idx_all_topics[i])
    return uniqueness_dict


def ranked(beta, n):
    return [[int(v) for v in beta[k].argsort()[::-1][:n]] for k in range(len(beta))]


npmi = {}
for topn in (10, 5):
    tc, per = get_topic_coherence(beta, ref_docs, topn)
    npmi[str(topn)] = {"npmi": tc, "perTopic": per}
td = {str(n): get_topic_diversity(beta, n) for n in (25, 10, 5)}
tu = {str(n): float(np.mean(list(calc_topic_uniqueness(ranked(beta, n)).values()))) for n in (10, 5)}
metrics = {
    "V": V,
    "docs": ref_docs,
    "beta": {"shape": [K, V], "data": [float(v) for v in beta.astype(np.float32).ravel()]},
    "topics25": ranked(beta, 25),
    "npmi": npmi,
    "diversity": td,
    "uniqueness": tu,
}

# ---------------------------------------------------------------- perplexity (ETM's evaluate)
Dp, Kp, Vp = 7, 4, 30
theta = rng.normal(size=(Dp, Kp))
theta = np.exp(theta) / np.exp(theta).sum(1, keepdims=True)
theta = theta.astype(np.float32)
pbeta = rng.normal(size=(Kp, Vp)) * 2
pbeta = np.exp(pbeta) / np.exp(pbeta).sum(1, keepdims=True)
pbeta = pbeta.astype(np.float32)
second = np.zeros((Dp, Vp))
for d in range(Dp):
    for w in rng.choice(Vp, size=int(rng.integers(1, 15))):
        second[d, w] += 1


def evaluate(theta, beta, data_2, eval_batch_size):
    acc_loss = 0
    cnt = 0
    for start in range(0, len(data_2), eval_batch_size):
        ind = slice(start, start + eval_batch_size)
        data_batch_2 = data_2[ind]
        sums_2 = data_batch_2.sum(1)
        res = theta[ind].astype(np.float64) @ beta.astype(np.float64)
        preds = np.log(res)
        recon_loss = -(preds * data_batch_2).sum(1)
        loss = recon_loss / sums_2
        acc_loss += loss.mean()
        cnt += 1
    cur_loss = acc_loss / cnt
    return math.exp(cur_loss)  # ETM rounds to 0.1 here


perplexity = {
    "theta": {"shape": [Dp, Kp], "data": [float(v) for v in theta.ravel()]},
    "beta": {"shape": [Kp, Vp], "data": [float(v) for v in pbeta.ravel()]},
    "second": second.tolist(),
    "all": evaluate(theta, pbeta, second, Dp),
    "batch3": evaluate(theta, pbeta, second, 3),
}

out = {
    "stopwords": sorted(ENGLISH_STOP_WORDS),
    "texts": texts,
    "tokenDocs": token_docs,
    "vocabCases": vocab_cases,
    "halves": halves,
    "metrics": metrics,
    "perplexity": perplexity,
}
path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "topics_metrics.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")
