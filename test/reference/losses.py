"""PyTorch references for lib/ops/losses.ts. Each case stores inputs, options, the loss, an
upstream gradient g and the gradients of sum(loss * g).
Run: /tmp/torch-env/bin/python test/reference/losses.py"""
import itertools

import torch
import torch.nn.functional as F

from common import save, t


def compact(obj):
    """Rounds float data to 9 significant digits (exact for float32) to keep fixtures small."""
    if isinstance(obj, dict):
        if obj.get("dtype") == "float32":
            # JSON has no NaN or infinities: they travel as strings, which Float32Array.from reads.
            obj["data"] = [float("%.9g" % v) if v == v and abs(v) != float("inf") else str(v).replace("inf", "Infinity").replace("nan", "NaN") for v in obj["data"]]
            return obj
        return {k: compact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [compact(v) for v in obj]
    return obj

torch.manual_seed(0)
REDUCTIONS = ["mean", "sum", "none"]


def backward(loss, inputs):
    g = torch.randn_like(loss) if loss.dim() > 0 else torch.tensor(1.7)
    gs = torch.autograd.grad(loss, inputs, g, allow_unused=True)
    return g, gs


out = {"crossEntropy": [], "crossEntropyProb": [], "nllLoss": [], "bce": [], "pointwise": []}

# Class-index targets: every combination of weight, ignoreIndex, labelSmoothing, reduction; 2-D,
# K-dim and 1-D inputs.
for shape, (use_w, use_ignore, ls, red) in itertools.product(
    [(6, 5), (2, 4, 3, 2), (5,)], itertools.product([False, True], [False, True], [0.0, 0.2], REDUCTIONS)
):
    x = (torch.randn(*shape) * 2).requires_grad_()
    C = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = torch.randint(0, C, tshape)
    ignore = -100
    if use_ignore:
        ignore = 1 if len(shape) == 1 else -100
        if len(shape) > 1:
            target.view(-1)[::3] = -100
    w = torch.rand(C) + 0.5 if use_w else None
    loss = F.cross_entropy(x, target, weight=w, ignore_index=ignore, reduction=red, label_smoothing=ls)
    g, (gx,) = backward(loss, [x])
    case = {"x": t(x), "target": t(target.int()), "ignoreIndex": ignore, "labelSmoothing": ls, "reduction": red,
            "loss": t(loss), "g": t(g), "gx": t(gx)}
    if w is not None:
        case["weight"] = t(w)
    out["crossEntropy"].append(case)

# Enough classes for the 8-lane paths (plus a tail).
for (use_w, ls), red in itertools.product([(False, 0.0), (True, 0.15)], REDUCTIONS):
    x = (torch.randn(9, 19) * 3).requires_grad_()
    target = torch.randint(0, 19, (9,))
    target[4] = -100
    w = torch.rand(19) + 0.5 if use_w else None
    loss = F.cross_entropy(x, target, weight=w, reduction=red, label_smoothing=ls)
    g, (gx,) = backward(loss, [x])
    case = {"x": t(x), "target": t(target.int()), "ignoreIndex": -100, "labelSmoothing": ls, "reduction": red,
            "loss": t(loss), "g": t(g), "gx": t(gx)}
    if w is not None:
        case["weight"] = t(w)
    out["crossEntropy"].append(case)

# All targets ignored: mean is NaN (0 / 0), sum is 0.
for red, ls in itertools.product(REDUCTIONS, [0.0, 0.1]):
    x = torch.randn(3, 4, requires_grad=True)
    target = torch.full((3,), -100)
    loss = F.cross_entropy(x, target, reduction=red, label_smoothing=ls)
    out["crossEntropy"].append({"x": t(x), "target": t(target.int()), "ignoreIndex": -100, "labelSmoothing": ls,
                                "reduction": red, "loss": t(loss), "allIgnored": True})

# Large logits.
x = (torch.randn(4, 6) * 1e4).requires_grad_()
target = torch.randint(0, 6, (4,))
loss = F.cross_entropy(x, target, reduction="none")
g, (gx,) = backward(loss, [x])
out["crossEntropy"].append({"x": t(x), "target": t(target.int()), "ignoreIndex": -100, "labelSmoothing": 0.0,
                            "reduction": "none", "loss": t(loss), "g": t(g), "gx": t(gx), "large": True})

# Class-probability targets.
for shape, (use_w, ls, red) in itertools.product(
    [(5, 4), (2, 3, 4)], itertools.product([False, True], [0.0, 0.3], REDUCTIONS)
):
    x = torch.randn(*shape, requires_grad=True)
    p = torch.softmax(torch.randn(*shape), 1).requires_grad_()
    w = torch.rand(shape[1]) + 0.5 if use_w else None
    loss = F.cross_entropy(x, p, weight=w, reduction=red, label_smoothing=ls)
    g, (gx, gp) = backward(loss, [x, p])
    case = {"x": t(x), "target": t(p), "labelSmoothing": ls, "reduction": red, "loss": t(loss), "g": t(g),
            "gx": t(gx), "gtarget": t(gp)}
    if w is not None:
        case["weight"] = t(w)
    out["crossEntropyProb"].append(case)

for shape, (use_w, red) in itertools.product([(6, 4), (2, 3, 5)], itertools.product([False, True], REDUCTIONS)):
    x = torch.log_softmax(torch.randn(*shape), 1).requires_grad_()
    target = torch.randint(0, shape[1], (shape[0],) + shape[2:])
    target.view(-1)[1] = -100
    w = torch.rand(shape[1]) + 0.5 if use_w else None
    loss = F.nll_loss(x, target, weight=w, reduction=red)
    g, (gx,) = backward(loss, [x])
    case = {"x": t(x), "target": t(target.int()), "reduction": red, "loss": t(loss), "g": t(g), "gx": t(gx)}
    if w is not None:
        case["weight"] = t(w)
    out["nllLoss"].append(case)

for use_w, use_pw, red in itertools.product([False, True], [False, True], REDUCTIONS):
    x = torch.randn(4, 3) * 5
    x[0, 0], x[1, 1], x[2, 2], x[3, 0] = 100.0, -100.0, 1e4, -1e4
    x.requires_grad_()
    target = torch.rand(4, 3).requires_grad_()
    w = torch.rand(3) + 0.5 if use_w else None
    pw = torch.rand(3) * 3 + 0.2 if use_pw else None
    loss = F.binary_cross_entropy_with_logits(x, target, weight=w, pos_weight=pw, reduction=red)
    g, (gx, gt) = backward(loss, [x, target])
    case = {"x": t(x), "target": t(target), "reduction": red, "loss": t(loss), "g": t(g), "gx": t(gx), "gtarget": t(gt)}
    if w is not None:
        case["weight"] = t(w)
    if pw is not None:
        case["posWeight"] = t(pw)
    out["bce"].append(case)

pointwise = [
    ("mseLoss", lambda a, b, r: F.mse_loss(a, b, reduction=r), {}),
    ("l1Loss", lambda a, b, r: F.l1_loss(a, b, reduction=r), {}),
    ("smoothL1Loss", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.5), {"beta": 0.5}),
    ("smoothL1Loss", lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r), {}),
]
for (name, fn, opts), red in itertools.product(pointwise, REDUCTIONS):
    a = torch.randn(3, 5, requires_grad=True)
    b = torch.randn(3, 5, requires_grad=True)
    loss = fn(a, b, red)
    g, (ga, gb) = backward(loss, [a, b])
    out["pointwise"].append({"name": name, "opts": opts, "reduction": red, "input": t(a), "target": t(b),
                             "loss": t(loss), "g": t(g), "ginput": t(ga), "gtarget": t(gb)})
for log_target, red in itertools.product([False, True], ["mean", "batchmean", "sum", "none"]):
    a = torch.log_softmax(torch.randn(4, 5), 1).requires_grad_()
    p = torch.softmax(torch.randn(4, 5), 1)
    p[0, 0] = 0.0
    b = (p.log() if log_target else p).detach().requires_grad_()
    if log_target:
        b = torch.log_softmax(torch.randn(4, 5), 1).requires_grad_()
    loss = F.kl_div(a, b, reduction=red, log_target=log_target)
    g, (ga, gb) = backward(loss, [a, b])
    out["pointwise"].append({"name": "klDiv", "opts": {"logTarget": log_target}, "reduction": red, "input": t(a),
                             "target": t(b), "loss": t(loss), "g": t(g), "ginput": t(ga), "gtarget": t(gb)})

save("losses", compact(out))
