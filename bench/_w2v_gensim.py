"""gensim peer for bench/word2vec.js: trains gensim's Word2Vec on a one-sentence-per-line file with
word2vec.c's settings and writes the vectors in word2vec text format. Prints one JSON object.

usage: python3 _w2v_gensim.py CORPUS sg|cbow THREADS OUT.vec
"""
import json
import os
import resource
import sys
import time

from gensim.models import Word2Vec

corpus, model, threads, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sg = 1 if model == "sg" else 0
kw = dict(vector_size=100, window=5, negative=5, hs=0, min_count=5, sample=1e-3, epochs=5, workers=threads, sg=sg,
          alpha=0.025 if sg else 0.05, cbow_mean=1, seed=int(os.environ.get("W2V_SEED", "1")),
          ns_exponent=float(os.environ.get("W2V_POWER", "0.75")))
t0 = time.perf_counter()
try:
    m = Word2Vec(corpus_file=corpus, **kw)  # gensim's fastest path (Cython, no GIL, no Python iterator)
    mode = "corpus_file"
except Exception:  # noqa: BLE001 - builds without the corpus_file extension
    from gensim.models.word2vec import LineSentence
    t0 = time.perf_counter()
    m = Word2Vec(LineSentence(corpus), **kw)
    mode = "LineSentence"
seconds = time.perf_counter() - t0
m.wv.save_word2vec_format(out)
import gensim  # noqa: E402
print(json.dumps({"seconds": seconds, "mode": mode, "version": gensim.__version__,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
