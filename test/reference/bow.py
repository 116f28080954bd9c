"""scikit-learn's CountVectorizer and TfidfVectorizer on pre-tokenised documents, for
test/text.test.ts (BagOfWords must give the same vocabulary order and values).
Run with Debian's Python (apt-get install python3-sklearn): /usr/bin/python3 test/reference/bow.py"""
import json
import os

from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

docs = [
    "the cat sat on the mat".split(),
    "the dog sat on the log and the dog barked".split(),
    "cats and dogs".split(),
    "a mat a log a cat".split(),
    "the the the".split(),
    "barked".split(),
]


def dense(m):
    return [[float(v) for v in row] for row in m.toarray()]


out = {"docs": docs, "cases": []}
for name, vec in [
    ("tfidf", TfidfVectorizer(analyzer=lambda d: d)),
    ("tfidf_mindf2", TfidfVectorizer(analyzer=lambda d: d, min_df=2)),
    ("tfidf_maxdf", TfidfVectorizer(analyzer=lambda d: d, max_df=0.5)),
    ("count_maxfeatures", CountVectorizer(analyzer=lambda d: d, max_features=4)),
    ("binary", CountVectorizer(analyzer=lambda d: d, binary=True)),
]:
    x = vec.fit_transform(docs)
    terms = [str(t) for t in vec.get_feature_names_out()]
    out["cases"].append({"name": name, "terms": terms, "matrix": dense(x)})

path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "bow.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
