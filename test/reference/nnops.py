"""PyTorch references for lib/ops/nn.ts: softmax, log_softmax, layer_norm, embedding,
index_select, gather. Each case stores inputs, the output, an upstream gradient g and the
gradients of sum(out * g). Run: /tmp/torch-env/bin/python test/reference/nnops.py"""
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


def grads(out, inputs):
    g = torch.randn_like(out)
    gs = torch.autograd.grad(out, [i for i in inputs if i is not None and i.requires_grad], g)
    return g, gs


cases = {"softmax": [], "layerNorm": [], "embedding": [], "indexSelect": [], "gather": []}

for log in (False, True):
    for shape, dim in [((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1), ((7,), 0), ((2, 1, 3), 1),
                       ((2, 40, 3), 1)]:
        x = torch.randn(*shape, requires_grad=True)
        y = (F.log_softmax if log else F.softmax)(x, dim)
        g, (gx,) = grads(y, [x])
        cases["softmax"].append({"log": log, "dim": dim, "x": t(x), "y": t(y), "g": t(g), "gx": t(gx)})
    # Rows long enough for the 8-lane paths (plus a tail), with masked (-inf) entries.
    x = torch.randn(4, 37) * 3
    x[1, ::5] = -float("inf")
    x[2, 30:] = -float("inf")
    x.requires_grad_()
    y = (F.log_softmax if log else F.softmax)(x, -1)
    g, (gx,) = grads(y, [x])
    cases["softmax"].append({"log": log, "dim": -1, "x": t(x), "y": t(y), "g": t(g), "gx": t(gx), "masked": True})
    # Large logits: no overflow.
    x = (torch.randn(3, 6) * 1e4).requires_grad_()
    y = (F.log_softmax if log else F.softmax)(x, -1)
    g, (gx,) = grads(y, [x])
    cases["softmax"].append({"log": log, "dim": -1, "x": t(x), "y": t(y), "g": t(g), "gx": t(gx), "large": True})

for shape, ns, affine in [((4, 8), (8,), "wb"), ((2, 3, 6), (3, 6), "wb"), ((2, 3, 6), (6,), ""), ((5, 7), (7,), "w"),
                          ((3, 1), (1,), "wb"), ((2, 2, 130), (130,), "wb")]:
    x = (torch.randn(*shape) * 3 + 1).requires_grad_()
    w = (torch.randn(*ns) + 1).requires_grad_() if "w" in affine else None
    b = torch.randn(*ns).requires_grad_() if "b" in affine else None
    y = F.layer_norm(x, ns, w, b, eps=1e-5)
    g, gs = grads(y, [x, w, b])
    case = {"x": t(x), "normalizedShape": list(ns), "y": t(y), "g": t(g), "gx": t(gs[0])}
    if w is not None:
        case["w"] = t(w)
        case["gw"] = t(gs[1])
    if b is not None:
        case["b"] = t(b)
        case["gb"] = t(gs[2])
    cases["layerNorm"].append(case)

for pad in (None, 0, -1):
    w = torch.randn(10, 4, requires_grad=True)
    ids = torch.tensor([[1, 2, 0, 9], [0, 9, 1, 1]])
    y = F.embedding(ids, w, padding_idx=pad)
    g, (gw,) = grads(y, [w])
    cases["embedding"].append({"paddingIdx": pad, "w": t(w), "ids": t(ids.int()), "y": t(y), "g": t(g), "gw": t(gw)})

for dim, idx in [(1, [3, 0, 3]), (0, [2, 2]), (-1, [4, 0, 1, 1, 2, 3]), (2, [])]:
    x = torch.randn(3, 4, 5, requires_grad=True)
    index = torch.tensor(idx, dtype=torch.long)
    y = torch.index_select(x, dim, index)
    g, (gx,) = grads(y, [x])
    cases["indexSelect"].append({"dim": dim, "x": t(x), "index": t(index.int()), "y": t(y), "g": t(g), "gx": t(gx)})

for dim, ishape in [(1, (2, 6, 3)), (0, (5, 4, 5)), (2, (3, 4, 2)), (-1, (1, 2, 7))]:
    x = torch.randn(3, 4, 5, requires_grad=True)
    index = torch.randint(0, x.shape[dim], ishape)
    y = torch.gather(x, dim, index)
    g, (gx,) = grads(y, [x])
    cases["gather"].append({"dim": dim, "x": t(x), "index": t(index.int()), "y": t(y), "g": t(g), "gx": t(gx)})

# Rows of -inf give NaN; a row with one finite value gives a one-hot.
inf = float("inf")
xi = torch.tensor([[-inf, -inf, -inf], [0.0, -inf, -inf], [1.0, float("nan"), 2.0]])
cases["softmaxInf"] = {"x": t(xi), "softmax": t(F.softmax(xi, 1)), "logSoftmax": t(F.log_softmax(xi, 1))}

save("nnops", compact(cases))
