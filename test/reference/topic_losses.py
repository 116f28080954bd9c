"""PyTorch references for lib/ops/topic-losses.ts (mmd, gaussianKL, gaussianMixtureKL).
Inputs are float32 values; the references run in float64 on them. Each case stores the loss, an
upstream gradient g and the gradients of loss * g (sum(loss * g) for reduction 'none').
Run: /tmp/torch-env/bin/python test/reference/topic_losses.py"""
import math

import torch
import torch.nn.functional as F

from common import save, t

torch.manual_seed(6)
D = torch.float64


class AcosSq(torch.autograd.Function):
    """arccos(c)^2 with the derivative -2 a / sin(a) (a = arccos c) taken from its series near a = 0,
    which is what the kernel computes; torch.acos's own backward is -1/sqrt(1 - c^2), inf at c = 1."""

    @staticmethod
    def forward(ctx, c):
        a = torch.acos(c)
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        small = a < 0.05
        a2 = a * a
        ratio = torch.where(small, 1 + a2 * (1 / 6 + a2 * (7 / 360)), a / torch.sin(torch.where(small, torch.ones_like(a), a)))
        return -2 * ratio * g


def kernel_matrix(a, b, kernel, h, stable=True):
    if kernel == "diffusion":
        sa = torch.sqrt(torch.clamp(a, 1e-6, 1))
        sb = torch.sqrt(torch.clamp(b, 1e-6, 1))
        c = torch.clamp(sa @ sb.T, 0, 1)
        sq = AcosSq.apply(c) if stable else torch.acos(c) ** 2
        return torch.exp(-sq / h)
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    if kernel == "rbf":
        return torch.exp(-d2 / (2 * h * h))
    return h / (h + d2)


def mmd_ref(x, y, kernel, h, stable=True):
    n, m = x.shape[0], y.shape[0]
    offx = ~torch.eye(n, dtype=torch.bool)
    offy = ~torch.eye(m, dtype=torch.bool)
    kxx = kernel_matrix(x, x, kernel, h, stable)[offx].sum() / (n * (n - 1))
    kyy = kernel_matrix(y, y, kernel, h, stable)[offy].sum() / (m * (m - 1))
    kxy = kernel_matrix(x, y, kernel, h, stable).sum() / (n * m)
    return kxx + kyy - 2 * kxy


def f32(x):
    return x.float().double()


def simplex(n, d, scale=1.0):
    return f32(torch.softmax(torch.randn(n, d) * scale, 1))


out = {"mmd": [], "gaussianKL": [], "gaussianMixtureKL": []}


def mmd_case(label, x, y, kernel, h, check_plain=False):
    x = x.clone().requires_grad_(True)
    y = y.clone().requires_grad_(True)
    loss = mmd_ref(x, y, kernel, h)
    g = torch.tensor(1.7, dtype=D)
    gx, gy = torch.autograd.grad(loss, [x, y], g)
    if check_plain:  # away from the edges, plain autograd through torch.acos agrees
        x2 = x.detach().clone().requires_grad_(True)
        y2 = y.detach().clone().requires_grad_(True)
        l2 = mmd_ref(x2, y2, kernel, h, stable=False)
        gx2, gy2 = torch.autograd.grad(l2, [x2, y2], g)
        assert torch.allclose(l2, loss) and torch.allclose(gx, gx2) and torch.allclose(gy, gy2), label
    assert torch.isfinite(gx).all() and torch.isfinite(gy).all(), label
    out["mmd"].append(
        {"label": label, "kernel": kernel, "bandwidth": h, "x": t(x), "y": t(y), "loss": float(loss.detach()), "g": float(g),
         "gx": t(gx), "gy": t(gy)}
    )


for kernel, hs in [("diffusion", [1.0, 0.5]), ("rbf", [0.5, 2.0]), ("imq", [1.0, 0.1])]:
    for h in hs:
        mmd_case(f"{kernel} h={h} random simplex n=7 m=5", simplex(7, 6), simplex(5, 6), kernel, h, check_plain=True)
    # The simplex edges: one-hot rows (coordinates below the 1e-6 clip), a duplicated row, a row of x
    # equal to a row of y, and a sharply peaked row.
    x = simplex(6, 5, 3.0)
    y = simplex(4, 5, 3.0)
    x[0] = 0
    x[0, 1] = 1
    x[1] = x[0]
    x[2] = 0
    x[2, 3] = 1
    # An identical pair sits at s = 1, where the clamp's one-sided derivative would be decided by
    # rounding; a zero coordinate puts s clearly above 1 (clamped, zero gradient) in any precision.
    x[3, 2] = 0
    x[3] = x[3] / x[3].sum()
    y[0] = x[3]
    y[1] = 0
    y[1, 1] = 1
    x[4] = f32(torch.softmax(torch.tensor([12.0, 0, 0, 0, -3]), 0))
    mmd_case(f"{kernel} edges n=6 m=4", x, y, kernel, hs[0])
    # Identical samples x == y (MMD = 2/n (mean off-diagonal k - 1) < 0), rows with a zero coordinate
    # for the reason above.
    s = simplex(5, 4)
    s[torch.arange(5), torch.arange(5) % 4] = 0
    s = f32(s / s.sum(1, keepdim=True))
    mmd_case(f"{kernel} x == y", s, s.clone(), kernel, hs[0])

# rbf / imq on unconstrained rows.
for kernel, h in [("rbf", 1.5), ("imq", 3.0)]:
    mmd_case(f"{kernel} gaussian rows n=4 m=9", f32(torch.randn(4, 3)), f32(torch.randn(9, 3) + 0.5), kernel, h, True)


def reductions(loss_rows, reduction):
    if reduction == "none":
        return loss_rows
    return loss_rows.sum() if reduction == "sum" else loss_rows.mean()


def upstream(loss):
    return f32(torch.randn(loss.shape)).to(D) if loss.dim() > 0 else torch.tensor(1.7, dtype=D)


for reduction in ["mean", "sum", "none"]:
    for B, J in [(6, 4), (1, 3)]:
        mu = f32(torch.randn(B, J)).requires_grad_(True)
        lv = f32(torch.randn(B, J) * 0.8).requires_grad_(True)
        rows = -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=1)
        loss = reductions(rows, reduction)
        g = upstream(loss)
        gm, gl = torch.autograd.grad(loss, [mu, lv], g)
        out["gaussianKL"].append(
            {"reduction": reduction, "mu": t(mu), "logvar": t(lv), "loss": t(loss), "g": t(g), "dmu": t(gm),
             "dlogvar": t(gl)}
        )


def gmm_rows(z, mu, lv, means, lvs, log_pi):
    var_k = torch.exp(lvs)[None]
    log_n = -0.5 * (math.log(2 * math.pi) + lvs[None] + (z[:, None, :] - means[None]) ** 2 / var_k).sum(-1)
    logits = log_pi[None] + log_n
    log_eta = F.log_softmax(logits, 1)
    eta = F.softmax(logits, 1)
    a = 0.5 * (lvs[None] + torch.exp(lv[:, None, :] - lvs[None]) + (mu[:, None, :] - means[None]) ** 2 / var_k).sum(-1)
    return (eta * (a - log_pi[None] + log_eta)).sum(1) - 0.5 * (1 + lv).sum(1)


for label, (B, J, K, spread) in {"small": (5, 3, 4, 1.0), "separated": (6, 4, 3, 6.0), "one component": (3, 2, 1, 1.0)}.items():
    for reduction in ["mean", "sum", "none"]:
        z = f32(torch.randn(B, J) * spread)
        mu = f32(z + 0.3 * torch.randn(B, J))
        lv = f32(torch.randn(B, J) * 0.5)
        means = f32(torch.randn(K, J) * spread)
        lvs = f32(torch.randn(K, J) * 0.5)
        log_pi = f32(F.log_softmax(torch.randn(K), 0))
        ins = [v.clone().requires_grad_(True) for v in (z, mu, lv, means, lvs, log_pi)]
        loss = reductions(gmm_rows(*ins), reduction)
        g = upstream(loss)
        grads = torch.autograd.grad(loss, ins, g)
        names = ["z", "mu", "logvar", "means", "logvars", "logPi"]
        case = {"label": label, "reduction": reduction, "loss": t(loss), "g": t(g)}
        for name, v, gr in zip(names, ins, grads):
            case[name] = t(v)
            case["d" + name] = t(gr)
        out["gaussianMixtureKL"].append(case)

save("topic_losses", out)
