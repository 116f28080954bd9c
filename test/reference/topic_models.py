"""One training step of each topic model (NVDM, WLDA, ETM, GMNTM) in PyTorch, from fixed weights and
fixed noise, at small sizes: the loss and its terms, every parameter's gradient, every parameter after
one Adam step, the eval-mode topic proportions, the topic-word matrix and the document-completion
perplexity. The architectures are those of TOPIC-MODELS-SPEC.md; parameter names and layouts are
textkernels' (the sparse first layer's weight is [V, H], the transpose of nn.Linear's).
Run: $PY test/reference/topic_models.py  (writes test/fixtures/topic_models.json)
"""
import math

import torch
import torch.nn.functional as F

from common import save, t

torch.manual_seed(1234)
V, K, B = 30, 4, 6
HIDDEN = [8, 6]
E = 7


def counts(rows, density=0.35, hi=4):
    x = torch.randint(1, hi + 1, (rows, V)).float() * (torch.rand(rows, V) < density).float()
    for r in range(rows):
        if x[r].sum() == 0:
            x[r, r % V] = 2.0
    return x


def csr(x):
    indptr, indices, values = [0], [], []
    for r in range(x.shape[0]):
        nz = torch.nonzero(x[r]).flatten().tolist()
        indices += nz
        values += [float(x[r, j]) for j in nz]
        indptr.append(len(indices))
    return {"indptr": indptr, "indices": indices, "values": values}


def lin(out_f, in_f, bias=True, scale=1.0):
    bound = scale / math.sqrt(in_f)
    w = (torch.rand(out_f, in_f) * 2 - 1) * bound
    b = (torch.rand(out_f) * 2 - 1) * bound if bias else None
    return w, b


def encoder_params(prefix, hidden):
    p = {}
    w, b = lin(hidden[0], V)
    p[f"{prefix}.input.weight"] = w.t().contiguous()
    p[f"{prefix}.input.bias"] = b
    for i in range(1, len(hidden)):
        w, b = lin(hidden[i], hidden[i - 1])
        p[f"{prefix}.layers.{i - 1}.weight"] = w
        p[f"{prefix}.layers.{i - 1}.bias"] = b
    return p


def add_linear(p, name, out_f, in_f, bias=True, scale=1.0):
    w, b = lin(out_f, in_f, bias, scale)
    p[f"{name}.weight"] = w
    if bias:
        p[f"{name}.bias"] = b


def encode(p, x, hidden, act):
    h = act(x @ p["encoder.input.weight"] + p["encoder.input.bias"])
    for i in range(1, len(hidden)):
        h = act(F.linear(h, p[f"encoder.layers.{i - 1}.weight"], p[f"encoder.layers.{i - 1}.bias"]))
    return h


def recon_softmax(logits, x):
    return -(x * F.log_softmax(logits, 1)).sum(1)


def gaussian_kl(mu, logvar):
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()


def mmd_diffusion(a, b, t=1.0):
    def kmat(p, q, same):
        s = p.clamp(min=1e-6).sqrt() @ q.clamp(min=1e-6).sqrt().t()
        if same:
            eye = torch.eye(s.shape[0], dtype=torch.bool)
            s = torch.where(eye, torch.zeros_like(s), s)
            k = torch.exp(-torch.acos(s.clamp(0, 1)).pow(2) / t)
            return k.masked_fill(eye, 0.0)
        return torch.exp(-torch.acos(s.clamp(0, 1)).pow(2) / t)

    n, m = a.shape[0], b.shape[0]
    return (
        kmat(a, a, True).sum() / (n * (n - 1))
        + kmat(b, b, True).sum() / (m * (m - 1))
        - 2 * kmat(a, b, False).sum() / (n * m)
    )


def gaussian_mixture_kl(z, mu, logvar, means, logvars, log_pi):
    lv = logvars.unsqueeze(0)
    m = means.unsqueeze(0)
    ivar = torch.exp(-lv)
    log_n = -0.5 * ((z.unsqueeze(1) - m).pow(2) * ivar + lv + math.log(2 * math.pi)).sum(2)
    logits = log_n + log_pi
    eta = torch.softmax(logits, 1)
    log_eta = torch.log_softmax(logits, 1)
    inner = (lv + torch.exp(logvar.unsqueeze(1) - lv) + (mu.unsqueeze(1) - m).pow(2) * ivar).sum(2)
    t1 = 0.5 * (eta * inner).sum(1)
    t2 = (eta * (log_pi - log_eta)).sum(1)
    t3 = 0.5 * (1 + logvar).sum(1)
    return (t1 - t2 - t3).mean()


def softmax_rows_dirichlet(n, alpha=0.1):
    d = torch.distributions.Dirichlet(torch.full((K,), alpha)).sample((n,))
    d = d.clamp(min=1e-3)
    return d / d.sum(1, keepdim=True)


# ----- the models: loss(p, x, noise) -> (loss, terms); theta(p, x); topic_word(p); loglik(p, theta, x)


def nvdm_loss(p, x, noise):
    h = encode(p, x, HIDDEN, torch.relu)
    mu = F.linear(h, p["mu.weight"], p["mu.bias"])
    logvar = F.linear(h, p["logvar.weight"], p["logvar.bias"])
    z = mu + torch.exp(0.5 * logvar) * noise["eps"]
    theta = torch.softmax(F.linear(z, p["fc.weight"], p["fc.bias"]), 1)
    recon = recon_softmax(F.linear(theta, p["decoder.weight"], p["decoder.bias"]), x).mean()
    kl = gaussian_kl(mu, logvar)
    return recon + kl, {"recon": recon, "kl": kl}


def nvdm_theta(p, x):
    h = encode(p, x, HIDDEN, torch.relu)
    return torch.softmax(F.linear(F.linear(h, p["mu.weight"], p["mu.bias"]), p["fc.weight"], p["fc.bias"]), 1)


def decoder_topic_word(p):
    return torch.softmax(p["decoder.weight"].t() + p["decoder.bias"], 1)


def decoder_loglik(p, theta, x):
    return -recon_softmax(F.linear(theta, p["decoder.weight"], p["decoder.bias"]), x)


RECON_WEIGHT = 0.0123


def wlda_loss(p, x, noise):
    h = encode(p, x, [8, 6], F.softplus)
    theta_hat = torch.softmax(F.linear(h, p["out.weight"], p["out.bias"]), 1)
    tt = 0.8 * theta_hat + 0.2 * noise["mix"]
    recon = recon_softmax(F.linear(tt, p["decoder.weight"], p["decoder.bias"]), x).mean() * RECON_WEIGHT
    m = mmd_diffusion(theta_hat, noise["prior"])
    return recon + m, {"recon": recon, "mmd": m}


def wlda_theta(p, x):
    h = encode(p, x, [8, 6], F.softplus)
    return torch.softmax(F.linear(h, p["out.weight"], p["out.bias"]), 1)


def etm_beta_t(p):
    return torch.softmax(p["rho"] @ p["alphas.weight"].t(), 0)


def etm_loss(p, x, noise):
    xn = x / x.sum(1, keepdim=True)
    h = encode(p, xn, HIDDEN, torch.relu)
    mu = F.linear(h, p["mu.weight"], p["mu.bias"])
    logvar = F.linear(h, p["logvar.weight"], p["logvar.bias"])
    theta = torch.softmax(mu + torch.exp(0.5 * logvar) * noise["eps"], 1)
    recon = -(x * torch.log(theta @ etm_beta_t(p).t())).sum(1).mean()
    kl = gaussian_kl(mu, logvar)
    return recon + kl, {"recon": recon, "kl": kl}


def etm_theta(p, x):
    xn = x / x.sum(1, keepdim=True)
    h = encode(p, xn, HIDDEN, torch.relu)
    return torch.softmax(F.linear(h, p["mu.weight"], p["mu.bias"]), 1)


def etm_topic_word(p):
    return etm_beta_t(p).t()


def etm_loglik(p, theta, x):
    return (x * torch.log(theta @ etm_beta_t(p).t())).sum(1)


def gmntm_loss(p, x, noise):
    h = encode(p, x, HIDDEN, torch.relu)
    mu = F.linear(h, p["mu.weight"], p["mu.bias"])
    logvar = F.linear(h, p["logvar.weight"], p["logvar.bias"])
    z = mu + torch.exp(0.5 * logvar) * noise["eps"]
    theta = torch.softmax(F.linear(z, p["fc.weight"], p["fc.bias"]), 1)
    recon = recon_softmax(F.linear(theta, p["decoder.weight"], p["decoder.bias"]), x).mean()
    kl = gaussian_mixture_kl(z, mu, logvar, p["means"], p["logvars"], torch.log_softmax(p["piLogits"], 0))
    return recon + kl, {"recon": recon, "kl": kl}


def gmntm_pretrain_loss(p, x):
    h = encode(p, x, HIDDEN, torch.relu)
    mu = F.linear(h, p["mu.weight"], p["mu.bias"])
    theta = torch.softmax(F.linear(mu, p["fc.weight"], p["fc.bias"]), 1)
    return recon_softmax(F.linear(theta, p["decoder.weight"], p["decoder.bias"]), x).mean()


def gmntm_topic_word(p):
    theta = torch.softmax(F.linear(p["means"], p["fc.weight"], p["fc.bias"]), 1)
    return torch.softmax(F.linear(theta, p["decoder.weight"], p["decoder.bias"]), 1)


def case(name, params, loss_fn, theta_fn, topic_word_fn, loglik_fn, noise, lr, weight_decay=0.0, extra=None):
    x = counts(B)
    first, second = counts(B), counts(B)
    second[2] = 0.0  # a document with an empty second half is left out of the perplexity
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    loss, terms = loss_fn(params, x, noise)
    loss.backward()
    out = {
        "name": name,
        "batch": csr(x),
        "params": {k: t(v) for k, v in params.items()},
        "noise": {k: t(v) for k, v in noise.items()},
        "loss": float(loss.detach()),
        "terms": {k: float(v) for k, v in terms.items()},
        "grads": {k: t(v.grad) for k, v in params.items()},
        "lr": lr,
        "weightDecay": weight_decay,
    }
    with torch.no_grad():
        out["theta"] = t(theta_fn(params, x))
        out["topicWord"] = t(topic_word_fn(params))
        th = theta_fn(params, first)
        ll = loglik_fn(params, th, second)
        n2 = second.sum(1)
        keep = n2 > 0
        out["first"] = csr(first)
        out["second"] = csr(second)
        out["perplexity"] = float(torch.exp((-ll[keep] / n2[keep]).mean()))
    opt = torch.optim.Adam(list(params.values()), lr=lr, weight_decay=weight_decay)
    opt.step()
    out["after"] = {k: t(v) for k, v in params.items()}
    if extra:
        out.update(extra(params, x))
    return out


cases = []

p = encoder_params("encoder", HIDDEN)
add_linear(p, "mu", K, HIDDEN[-1])
add_linear(p, "logvar", K, HIDDEN[-1])
add_linear(p, "fc", K, K)
add_linear(p, "decoder", V, K, scale=3.0)
cases.append(
    case("NVDM", p, nvdm_loss, nvdm_theta, decoder_topic_word, decoder_loglik, {"eps": torch.randn(B, K)}, 1e-3)
)

p = encoder_params("encoder", [8, 6])
add_linear(p, "out", K, 6, scale=3.0)
add_linear(p, "decoder", V, K, scale=3.0)
cases.append(
    case(
        "WLDA",
        p,
        wlda_loss,
        wlda_theta,
        decoder_topic_word,
        decoder_loglik,
        {"mix": softmax_rows_dirichlet(B), "prior": softmax_rows_dirichlet(B)},
        2e-3,
    )
)

p = encoder_params("encoder", HIDDEN)
add_linear(p, "mu", K, HIDDEN[-1])
add_linear(p, "logvar", K, HIDDEN[-1])
p["rho"] = (torch.rand(V, E) * 2 - 1) / math.sqrt(E) * 3
add_linear(p, "alphas", K, E, bias=False, scale=3.0)
cases.append(
    case("ETM", p, etm_loss, etm_theta, etm_topic_word, etm_loglik, {"eps": torch.randn(B, K)}, 5e-3, 1.2e-6)
)

p = encoder_params("encoder", HIDDEN)
add_linear(p, "mu", K, HIDDEN[-1], scale=3.0)
add_linear(p, "logvar", K, HIDDEN[-1])
add_linear(p, "fc", K, K)
add_linear(p, "decoder", V, K, scale=3.0)
p["means"] = torch.randn(K, K) * 0.7
p["logvars"] = torch.randn(K, K) * 0.3
p["piLogits"] = torch.randn(K) * 0.5
cases.append(
    case(
        "GMNTM",
        p,
        gmntm_loss,
        nvdm_theta,
        gmntm_topic_word,
        decoder_loglik,
        {"eps": torch.randn(B, K)},
        2e-3,
        extra=lambda params, x: {"pretrainLoss": float(gmntm_pretrain_loss(params, x))},
    )
)
# pretrainLoss is computed after the Adam step, from the updated parameters ("after").

save("topic_models", {"V": V, "K": K, "B": B, "hidden": HIDDEN, "E": E, "reconWeight": RECON_WEIGHT, "cases": cases})
