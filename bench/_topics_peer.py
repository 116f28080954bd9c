"""Peers for bench/topics.js: PyTorch implementations of NVDM (GSM), W-LDA, ETM and GMNTM with exactly the
architectures and optimisers of docs/TOPIC-MODELS.md (textkernels' tk.topics models implement the
same), and gensim's LdaModel, trained on the corpus bench/topics.js prepared (same vocabulary, same documents).

Writes one JSON object to --out: time per epoch (each epoch, and the median of the epochs after the first),
the top --top words of every topic (bench/topics.js scores every system's word lists with the same code),
and held-out perplexity by document completion (ETM's protocol: theta from the first half of each test
document, -sum n log p / N on the second half, averaged over the documents, exp).

usage:
  /tmp/torch-env/bin/python _topics_peer.py --data DIR --model nvdm|wlda|etm|gmntm --k K --epochs N
      --threads T --out FILE [--seed S] [--first-layer auto|dense|sparse] [--pretrain-epochs P] [--top 25]
  /usr/bin/python3 _topics_peer.py --data DIR --model lda --k K --epochs PASSES --threads T --out FILE
      [--chunksize 2000] [--iterations 50]

--first-layer: "dense" builds each batch as a dense [B, V] tensor (nn.Linear reads it, the loss multiplies
it); "sparse" builds a torch.sparse CSR batch for the first layer (torch.addmm) and reads the loss at the
stored entries only, as ours does; "auto" (default) times three steps of each before training and keeps
the faster. The choice is reported.

Corpus files in DIR (written by bench/_topics_data.js): vocab.txt (one word a line, the id is the line
number), train.txt, test.txt, test_h1.txt, test_h2.txt (one document a line, "id:count id:count ...").
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np

# Batch size and learning rate of each model (the spec's; our models use the same in bench/_topics_ours.js).
SETTINGS = {
    "nvdm": {"batch": 512, "lr": 1e-3, "weight_decay": 0.0},
    "wlda": {"batch": 200, "lr": 2e-3, "weight_decay": 0.0},
    "etm": {"batch": 1000, "lr": 5e-3, "weight_decay": 1.2e-6},
    "gmntm": {"batch": 200, "lr": 2e-3, "weight_decay": 0.0},
}


class Csr:
    """Document-term counts in CSR form (numpy), read from "id:count" lines."""

    def __init__(self, path, vocab_size):
        indptr, indices, values = [0], [], []
        with open(path) as f:
            for line in f:
                for item in line.split():
                    i, c = item.split(":")
                    indices.append(int(i))
                    values.append(float(c))
                indptr.append(len(indices))
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.values = np.asarray(values, dtype=np.float32)
        self.rows = len(indptr) - 1
        self.cols = vocab_size

    def lengths(self):
        return np.add.reduceat(self.values, self.indptr[:-1]) if self.values.size else np.zeros(self.rows)

    def gensim_bow(self):
        return [
            list(zip(self.indices[a:b].tolist(), self.values[a:b].astype(int).tolist()))
            for a, b in zip(self.indptr[:-1], self.indptr[1:])
        ]


def read_corpus(data):
    with open(os.path.join(data, "vocab.txt")) as f:
        vocab = [w.rstrip("\n") for w in f]
    V = len(vocab)
    parts = {name: Csr(os.path.join(data, name + ".txt"), V) for name in ("train", "test_h1", "test_h2")}
    return vocab, parts


def median(xs):
    s = sorted(xs)
    if not s:
        return float("nan")
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def per_epoch(times):
    """Median seconds per epoch over the epochs after the first (the first pays for warm-up)."""
    return median(times[1:]) if len(times) > 1 else (times[0] if times else float("nan"))


# --------------------------------------------------------------------------------------------- gensim LDA


def run_lda(args):
    import gensim
    from gensim.models import LdaModel
    from gensim.models.callbacks import Metric

    vocab, parts = read_corpus(args.data)
    train = parts["train"].gensim_bow()
    id2word = dict(enumerate(vocab))

    class PassEnd(Metric):
        """Records the time at the end of every pass (gensim calls each metric once per pass)."""

        def __init__(self):
            self.logger = None
            self.viz_env = None
            self.title = "pass_end"
            self.times = []

        def get_value(self, **kwargs):
            self.times.append(time.perf_counter())
            return 0.0

    marks = PassEnd()
    settings = dict(
        num_topics=args.k,
        chunksize=args.chunksize,
        passes=args.epochs,
        iterations=args.iterations,
        alpha="symmetric",
        eta=None,
        decay=0.5,
        offset=1.0,
        update_every=1,
        eval_every=None,
        random_state=args.seed,
    )
    # Build the model without a corpus, then time update() alone (the constructor would train too).
    lda = LdaModel(id2word=id2word, callbacks=[marks], **{k: v for k, v in settings.items() if k != "passes"})
    t0 = time.perf_counter()
    lda.update(train, passes=args.epochs)
    total = time.perf_counter() - t0
    ends = [t0] + marks.times
    times = [b - a for a, b in zip(ends[:-1], ends[1:])]

    beta = lda.get_topics().astype(np.float64)  # [K, V], rows sum to 1
    topics = [[vocab[i] for i in np.argsort(-row, kind="stable")[: args.top]] for row in beta]

    # Document completion with theta from variational inference on the first halves.
    h1, h2 = parts["test_h1"].gensim_bow(), parts["test_h2"]
    gamma, _ = lda.inference(h1)
    theta = gamma / gamma.sum(1, keepdims=True)
    ppl = completion_perplexity(lambda a, b: theta[a:b] @ beta, h2)
    # gensim's own estimate: a variational lower bound on the per-word log likelihood (nats) of whole test
    # documents, not document completion; reported beside it, not compared. (gensim's log prints 2^-bound.)
    test = Csr(os.path.join(args.data, "test.txt"), len(vocab)).gensim_bow()
    bound = lda.log_perplexity(test)
    return {
        "system": "gensim %s LdaModel" % gensim.__version__,
        "impl": "gensim",
        "settings": {k: v for k, v in settings.items() if k != "random_state"},
        "epoch_seconds": times,
        "seconds_per_epoch": per_epoch(times),
        "total_seconds": total,
        "topics": topics,
        "perplexity": ppl,
        "gensim_per_word_bound": float(bound),
        "gensim_bound_perplexity": float(math.exp(-bound)),
    }


def completion_perplexity(probs, h2, batch=1000):
    """exp(mean over documents of -sum_v n_v log p_v / N) on the second halves; probs(a, b) -> p [b-a, V]."""
    total, docs = 0.0, 0
    for a in range(0, h2.rows, batch):
        b = min(h2.rows, a + batch)
        p = np.asarray(probs(a, b), dtype=np.float64)
        for r in range(a, b):
            s, e = h2.indptr[r], h2.indptr[r + 1]
            n = h2.values[s:e].astype(np.float64)
            if n.sum() <= 0:
                continue
            total += -(n * np.log(p[r - a, h2.indices[s:e]])).sum() / n.sum()
            docs += 1
    return float(math.exp(total / max(docs, 1)))


# ----------------------------------------------------------------------------------------- PyTorch models


def build_torch_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class FirstLayer(nn.Linear):
        """nn.Linear(V, h) over the bag of words, fed either a dense batch or a torch.sparse CSR batch."""

        def forward(self, x):
            if x.layout == torch.sparse_csr:
                return torch.addmm(self.bias, x, self.weight.t())
            return F.linear(x, self.weight, self.bias)

    def recon_loss(logp, batch):
        """Per document -sum_v x_v log p_v (counts as weights), averaged over the batch."""
        if batch.dense is not None:
            return -(batch.dense * logp).sum(1).mean()
        return -(logp[batch.rows, batch.cols] * batch.vals).sum() / batch.size

    def gaussian_kl(mu, logvar):
        return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()

    class NVDM(nn.Module):
        """GSM: V -> 1024 -> 512 (ReLU) -> mu, logvar; z = mu + sigma eps; theta = softmax(Linear(K, K)(z));
        p = softmax(Linear(K, V)(theta))."""

        def __init__(self, V, K, hidden=(1024, 512)):
            super().__init__()
            self.fc1 = FirstLayer(V, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.mu = nn.Linear(hidden[1], K)
            self.logvar = nn.Linear(hidden[1], K)
            self.fcz = nn.Linear(K, K)
            self.decoder = nn.Linear(K, V)

        def encode(self, x):
            h = F.relu(self.fc2(F.relu(self.fc1(x))))
            return self.mu(h), self.logvar(h)

        def loss(self, batch):
            mu, logvar = self.encode(batch.input)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            theta = F.softmax(self.fcz(z), dim=1)
            logp = F.log_softmax(self.decoder(theta), dim=1)
            return recon_loss(logp, batch) + gaussian_kl(mu, logvar)

        def doc_word(self, x):
            mu, _ = self.encode(x)
            return F.softmax(self.decoder(F.softmax(self.fcz(mu), dim=1)), dim=1)

        def topic_word(self):
            return F.softmax(self.decoder.weight.t() + self.decoder.bias, dim=1)

    def diffusion_mmd(x, y, t=1.0):
        """Unbiased MMD with the information diffusion kernel exp(-arccos^2(<sqrt a, sqrt b>) / t), with W-LDA's
        clipping (entries to [1e-6, 1] before the square root, the inner product to [0, 1 - 1e-6]) so that
        neither sqrt nor arccos sees an infinite derivative."""

        def k(a, b):
            inner = a.clamp(1e-6, 1).sqrt() @ b.clamp(1e-6, 1).sqrt().t()
            return torch.exp(-torch.acos(inner.clamp(0, 1 - 1e-6)).pow(2) / t)

        n, m = x.shape[0], y.shape[0]
        kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        return sxx + syy - 2 * kxy.mean()

    class WLDA(nn.Module):
        """W-LDA: V -> 100 -> 100 (softplus) -> K; theta = softmax; decoder Linear(K, V) on theta mixed with
        Dirichlet(0.1) noise (weight 0.2); MMD against Dirichlet(0.1) samples."""

        def __init__(self, V, K, hidden=(100, 100), alpha=0.1, noise=0.2, recon_weight=1.0):
            super().__init__()
            self.fc1 = FirstLayer(V, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.out = nn.Linear(hidden[1], K)
            self.decoder = nn.Linear(K, V)
            self.K, self.noise, self.recon_weight = K, noise, recon_weight
            self.prior = torch.distributions.Dirichlet(torch.full((K,), alpha))

        def encode(self, x):
            return F.softmax(self.out(F.softplus(self.fc2(F.softplus(self.fc1(x))))), dim=1)

        def loss(self, batch):
            theta = self.encode(batch.input)
            mixed = (1 - self.noise) * theta + self.noise * self.prior.sample((batch.size,))
            logp = F.log_softmax(self.decoder(mixed), dim=1)
            # W-LDA's MMD term reads a fresh noise-free softmax(Enc(x)); without dropout that is theta itself.
            return recon_loss(logp, batch) * self.recon_weight + diffusion_mmd(theta, self.prior.sample((batch.size,)))

        def doc_word(self, x):
            return F.softmax(self.decoder(self.encode(x)), dim=1)

        def topic_word(self):
            return F.softmax(self.decoder.weight.t() + self.decoder.bias, dim=1)

    class ETM(nn.Module):
        """ETM: normalised BoW -> 800 -> 800 (ReLU) -> mu, logvar; theta = softmax(z);
        beta = softmax_V(rho alpha^T) with trainable rho [V, 300]; p = theta beta."""

        normalized_input = True

        def __init__(self, V, K, hidden=(800, 800), emb=300):
            super().__init__()
            self.fc1 = FirstLayer(V, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.mu = nn.Linear(hidden[1], K)
            self.logvar = nn.Linear(hidden[1], K)
            self.rho = nn.Linear(emb, V, bias=False)  # rho = rho.weight [V, E], as ETM's code
            self.alphas = nn.Linear(emb, K, bias=False)

        def encode(self, x):
            h = F.relu(self.fc2(F.relu(self.fc1(x))))
            return self.mu(h), self.logvar(h)

        def beta_t(self):
            return F.softmax(self.alphas(self.rho.weight), dim=0)  # [V, K]

        def beta(self):
            return self.beta_t().t()  # [K, V]

        def loss(self, batch):
            mu, logvar = self.encode(batch.input)
            theta = F.softmax(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), dim=1)
            # log p with p = theta beta as the spec writes it (ETM's code adds 1e-6 inside the log; ours does
            # not). The sparse path evaluates p only at the words a document has, as ours does.
            if batch.dense is not None:
                return -(batch.dense * torch.log(theta @ self.beta())).sum(1).mean() + gaussian_kl(mu, logvar)
            p = (theta[batch.rows] * self.beta_t()[batch.cols]).sum(1)
            return -(batch.vals * torch.log(p)).sum() / batch.size + gaussian_kl(mu, logvar)

        def doc_word(self, x):
            mu, _ = self.encode(x)
            return F.softmax(mu, dim=1) @ self.beta()

        def topic_word(self):
            return self.beta()

    class GMNTM(nn.Module):
        """GMNTM: V -> 500 -> 500 (ReLU) -> mu, logvar (J = K); theta = softmax(Linear(K, K)(z));
        p = softmax(Linear(K, V)(theta)).
        Stage 1 autoencoder (z = mu, recon only); stage 2 GMM by EM on mu; stage 3 recon + mixture KL."""

        def __init__(self, V, K, hidden=(500, 500)):
            super().__init__()
            self.fc1 = FirstLayer(V, hidden[0])
            self.fc2 = nn.Linear(hidden[0], hidden[1])
            self.mu = nn.Linear(hidden[1], K)
            self.logvar = nn.Linear(hidden[1], K)
            self.fcz = nn.Linear(K, K)
            self.decoder = nn.Linear(K, V)
            self.means = nn.Parameter(torch.zeros(K, K))
            self.logvars = nn.Parameter(torch.zeros(K, K))
            self.pi_logits = nn.Parameter(torch.zeros(K))
            self.pretraining = True

        def encode(self, x):
            h = F.relu(self.fc2(F.relu(self.fc1(x))))
            return self.mu(h), self.logvar(h)

        def decode_logp(self, z):
            return F.log_softmax(self.decoder(F.softmax(self.fcz(z), dim=1)), dim=1)

        def mixture_kl(self, z, mu, logvar):
            log_pi = F.log_softmax(self.pi_logits, dim=0)
            # log N(z; means_c, exp(logvars_c)) for every component: [B, K]
            diff = z.unsqueeze(1) - self.means.unsqueeze(0)
            log_pdf = -0.5 * (math.log(2 * math.pi) + self.logvars + diff.pow(2) / self.logvars.exp()).sum(2)
            log_eta = F.log_softmax(log_pi + log_pdf, dim=1)  # q(c|x) = p(c|z), seed eq. 18
            eta = log_eta.exp()
            term = (
                self.logvars.unsqueeze(0)
                + (logvar.unsqueeze(1) - self.logvars.unsqueeze(0)).exp()
                + (mu.unsqueeze(1) - self.means.unsqueeze(0)).pow(2) / self.logvars.exp().unsqueeze(0)
            ).sum(2)
            kl = (
                0.5 * (eta * term).sum(1)
                - (eta * (log_pi - log_eta)).sum(1)
                - 0.5 * (1 + logvar).sum(1)
            )
            return kl.mean()

        def loss(self, batch):
            mu, logvar = self.encode(batch.input)
            if self.pretraining:
                return recon_loss(self.decode_logp(mu), batch)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            return recon_loss(self.decode_logp(z), batch) + self.mixture_kl(z, mu, logvar)

        def doc_word(self, x):
            mu, _ = self.encode(x)
            return self.decode_logp(mu).exp()

        def topic_word(self):
            return self.decode_logp(self.means).exp()

    return {"nvdm": NVDM, "wlda": WLDA, "etm": ETM, "gmntm": GMNTM}


class Batch:
    """One minibatch: the encoder input (dense or torch.sparse CSR) and the counts for the loss."""

    def __init__(self, torch, csr, ids, sparse, normalized):
        lo, hi = csr.indptr[ids], csr.indptr[ids + 1]
        lengths = hi - lo
        take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if len(ids) else np.zeros(0, np.int64)
        cols = torch.from_numpy(csr.indices[take])
        vals = torch.from_numpy(csr.values[take])
        rows = torch.from_numpy(np.repeat(np.arange(len(ids)), lengths))
        self.size = len(ids)
        V = csr.cols
        if normalized:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            doc_len = torch.from_numpy(np.add.reduceat(csr.values[take], starts))
            inp_vals = vals / doc_len[rows]
        else:
            inp_vals = vals
        if sparse:
            crow = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)]))
            self.input = torch.sparse_csr_tensor(crow, cols, inp_vals, (self.size, V))
            self.rows, self.cols, self.vals, self.dense = rows, cols, vals, None
        else:
            self.dense = torch.zeros(self.size, V)
            self.dense[rows, cols] = vals
            if normalized:
                self.input = torch.zeros(self.size, V)
                self.input[rows, cols] = inp_vals
            else:
                self.input = self.dense


def fit_gmm(X, K, rng, max_iter=100, tol=1e-4, reg=1e-6):
    """Diagonal Gaussian mixture by EM, k-means++ seeding (as sklearn's init_params='k-means++': the seeds'
    hard assignment gives the first responsibilities). Returns means [K, J], variances [K, J]."""
    N, J = X.shape
    first = rng.integers(N)
    centers = [X[first]]
    d2 = ((X - X[first]) ** 2).sum(1)
    for _ in range(1, K):
        s = d2.sum()
        i = rng.choice(N, p=d2 / s) if s > 0 else rng.integers(N)
        centers.append(X[i])
        d2 = np.minimum(d2, ((X - X[i]) ** 2).sum(1))
    C = np.stack(centers)
    X2 = X * X

    def sq_dist(m, inv_var):  # sum_j (x_j - m_cj)^2 inv_var_cj for every x and c, by matrix products: [N, K]
        return X2 @ inv_var.T - 2 * X @ (m * inv_var).T + (m * m * inv_var).sum(1)[None]

    resp = np.zeros((N, K))
    resp[np.arange(N), sq_dist(C, np.ones_like(C)).argmin(1)] = 1.0
    prev = -np.inf
    for _ in range(max_iter):
        nk = resp.sum(0) + 10 * np.finfo(np.float64).eps
        means = resp.T @ X / nk[:, None]
        var = np.maximum(resp.T @ X2 / nk[:, None] - means**2, 0) + reg
        logw = np.log(nk / N)
        log_norm = -0.5 * (J * math.log(2 * math.pi) + np.log(var).sum(1))
        logp = log_norm[None] - 0.5 * sq_dist(means, 1 / var) + logw[None]
        mx = logp.max(1, keepdims=True)
        lse = mx[:, 0] + np.log(np.exp(logp - mx).sum(1))
        resp = np.exp(logp - lse[:, None])
        ll = lse.mean()
        if abs(ll - prev) < tol:
            break
        prev = ll
    return means, var


def run_torch(args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    vocab, parts = read_corpus(args.data)
    train, h1, h2 = parts["train"], parts["test_h1"], parts["test_h2"]
    V, K = len(vocab), args.k
    cfg = SETTINGS[args.model]
    Model = build_torch_models()[args.model]
    kwargs = {}
    if args.model == "wlda":
        mean_len = float(train.lengths().mean())
        kwargs["recon_weight"] = 1.0 / (mean_len * math.log(V))
    model = Model(V, K, **kwargs)
    normalized = getattr(model, "normalized_input", False)

    def make_opt(m):
        return torch.optim.Adam(m.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])

    def batches(order, sparse):
        for a in range(0, len(order), cfg["batch"]):
            yield Batch(torch, train, order[a : a + cfg["batch"]], sparse, normalized)

    def step(m, opt, batch):
        opt.zero_grad(set_to_none=True)
        loss = m.loss(batch)
        loss.backward()
        opt.step()
        return float(loss)

    # Dense or torch.sparse first layer: time a few steps of each on a copy, keep the faster for the run.
    first_layer = args.first_layer
    calibration = {}
    if first_layer == "auto":
        probe = rng.permutation(train.rows)[: cfg["batch"] * 3]
        for sparse in (False, True):
            m = copy.deepcopy(model)
            opt = make_opt(m)
            step(m, opt, next(batches(probe, sparse)))  # warm-up
            t0 = time.perf_counter()
            n = 0
            for b in batches(probe, sparse):  # building the batch counts: it differs between the two
                step(m, opt, b)
                n += 1
            calibration["sparse" if sparse else "dense"] = (time.perf_counter() - t0) / n
        first_layer = "sparse" if calibration["sparse"] < calibration["dense"] else "dense"
    sparse = first_layer == "sparse"

    times, losses, stages = [], [], {}
    opt = make_opt(model)

    # One Adam for the whole run (GMNTM included: the mixture's parameters get no gradient, hence no Adam
    # state, until stage 3, as ours resets their moments when the GMM sets them).
    def run_epoch():
        t0 = time.perf_counter()
        total, n = 0.0, 0
        for b in batches(rng.permutation(train.rows), sparse):
            total += step(model, opt, b)
            n += 1
        return time.perf_counter() - t0, total / max(n, 1)  # mean batch loss, as ours reports

    model.train()
    if args.model == "gmntm":
        model.pretraining = True
        pre = [run_epoch() for _ in range(args.pretrain_epochs)]
        stages["pretrain_seconds"] = sum(t for t, _ in pre)
        t0 = time.perf_counter()
        with torch.no_grad():
            mus = []
            for a in range(0, train.rows, 1000):
                b = Batch(torch, train, np.arange(a, min(train.rows, a + 1000)), sparse, normalized)
                mus.append(model.encode(b.input)[0])
            X = torch.cat(mus).double().numpy()
        means, var = fit_gmm(X, K, rng)
        with torch.no_grad():
            model.means.copy_(torch.from_numpy(means).float())
            model.logvars.copy_(torch.from_numpy(np.log(var)).float())
            model.pi_logits.zero_()
            # As tk.topics.GMNTM: q(z|x)'s log-variance head (untrained: pretraining uses z = mu) starts
            # at each dimension's mean mixture log-variance, not near 0 against the tiny EM variances.
            model.logvar.weight.zero_()
            model.logvar.bias.copy_(model.logvars.mean(0))
        stages["gmm_seconds"] = time.perf_counter() - t0
        model.pretraining = False
    for _ in range(args.epochs):
        t, loss = run_epoch()
        times.append(t)
        losses.append(loss)

    pretrain = args.pretrain_epochs if args.model == "gmntm" else None
    model.eval()
    with torch.no_grad():
        beta = model.topic_word().double().numpy()
        topics = [[vocab[i] for i in np.argsort(-row, kind="stable")[: args.top]] for row in beta]

        def probs(a, b):
            batch = Batch(torch, h1, np.arange(a, b), sparse, normalized)
            return model.doc_word(batch.input).double().numpy()

        ppl = completion_perplexity(probs, h2)
    return {
        "system": "PyTorch %s" % torch.__version__.split("+")[0],
        "impl": "torch",
        "first_layer": "sparse" if sparse else "dense",
        "calibration_seconds_per_step": calibration,
        "settings": {**cfg, "epochs": args.epochs, "pretrain_epochs": pretrain},
        "threads": torch.get_num_threads(),
        "epoch_seconds": times,
        "seconds_per_epoch": per_epoch(times),
        "total_seconds": sum(times),
        "losses": losses,
        "stages": stages,
        "topics": topics,
        "perplexity": ppl,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True, choices=["lda", "nvdm", "wlda", "etm", "gmntm"])
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--first-layer", default="auto", choices=["auto", "dense", "sparse"])
    p.add_argument("--pretrain-epochs", type=int, default=10)
    p.add_argument("--chunksize", type=int, default=2000)
    p.add_argument("--iterations", type=int, default=50)
    args = p.parse_args()
    result = run_lda(args) if args.model == "lda" else run_torch(args)
    result.update({"model": args.model, "k": args.k, "seed": args.seed})
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    sys.exit(main())
