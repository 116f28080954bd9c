"""PyTorch reference for test/reduce.test.ts: sum, mean, max/min, argmax/argmin, logsumexp, var/std
over each dim, several dims and all dims, with and without keepdim."""
import torch

from _ewcommon import enc, run, tt
from common import save

gen = torch.Generator().manual_seed(1)
cases = []
x3 = torch.randn(3, 4, 5, generator=gen)
shared = {"x3": tt(x3)}


def ref(x):
    """The shared input is written once; cases name it."""
    return "x3" if x is x3 else tt(x)


def case(name, op, fn, x, params):
    inputs = {"input": x}
    out, w, grads = run(lambda input: fn(input), inputs, gen)
    cases.append({"name": name, "op": op, "params": params, "inputs": {"input": ref(x)}, "out": tt(out), "w": tt(w) if w is not None else None, "grads": grads})

dims_list = [None, 0, 1, 2, -1, [0, 2], [0, 1], [1, 2], [0, 1, 2], [-1, 0]]
for dims in dims_list:
    for keepdim in [False, True]:
        if dims is None and keepdim:
            continue
        d = dims if dims is None or isinstance(dims, int) else tuple(dims)
        if dims is None:
            case("sum all", "sum", lambda t: t.sum(), x3, {})
            case("mean all", "mean", lambda t: t.mean(), x3, {})
            continue
        case(f"sum dim={dims} keepdim={keepdim}", "sum", lambda t, d=d, k=keepdim: t.sum(d, keepdim=k), x3, {"dim": dims, "keepdim": keepdim})
        case(f"mean dim={dims} keepdim={keepdim}", "mean", lambda t, d=d, k=keepdim: t.mean(d, keepdim=k), x3, {"dim": dims, "keepdim": keepdim})
        case(f"logsumexp dim={dims} keepdim={keepdim}", "logsumexp", lambda t, d=d, k=keepdim: torch.logsumexp(t, d, keepdim=k), x3, {"dim": dims, "keepdim": keepdim})
        for corr in [1, 0]:
            case(f"var dim={dims} keepdim={keepdim} correction={corr}", "var", lambda t, d=d, k=keepdim, c=corr: torch.var(t, d, correction=c, keepdim=k), x3, {"dim": dims, "keepdim": keepdim, "correction": corr})
        case(f"std dim={dims} keepdim={keepdim}", "std", lambda t, d=d, k=keepdim: torch.std(t, d, keepdim=k), x3, {"dim": dims, "keepdim": keepdim})

case("var all", "var", lambda t: torch.var(t), x3, {})
case("std all correction=0", "std", lambda t: torch.std(t, correction=0), x3, {"correction": 0})
# Size-1 and empty dims.
x1 = torch.randn(2, 1, 3, generator=gen)
case("sum over a size-1 dim", "sum", lambda t: t.sum(1), x1, {"dim": 1, "keepdim": False})
case("sum size-1 keepdim", "sum", lambda t: t.sum([0, 1], keepdim=True), x1, {"dim": [0, 1], "keepdim": True})
e = torch.zeros(2, 0, 3)
case("sum over an empty dim", "sum", lambda t: t.sum(1), e, {"dim": 1, "keepdim": False})
case("mean over an empty dim", "mean", lambda t: t.mean(1), e, {"dim": 1, "keepdim": False})
case("logsumexp over an empty dim", "logsumexp", lambda t: torch.logsumexp(t, 1), e, {"dim": 1, "keepdim": False})
x0 = torch.tensor(2.5)
case("sum 0-d", "sum", lambda t: t.sum(), x0, {})
case("sum 0-d dim 0", "sum", lambda t: t.sum(0), x0, {"dim": 0, "keepdim": False})

# max / min with a dim: values, indices, gradient to the arg index.
for op in ["max", "min"]:
    for dim in [0, 1, 2, -1]:
        for keepdim in [False, True]:
            f = getattr(torch, op)
            r = f(x3, dim, keepdim=keepdim)
            name = f"{op} dim={dim} keepdim={keepdim}"
            out, w, grads = run(lambda input: f(input, dim, keepdim=keepdim).values, {"input": x3}, gen)
            cases.append({"name": name, "op": op, "params": {"dim": dim, "keepdim": keepdim}, "inputs": {"input": "x3"}, "out": tt(out), "indices": tt(r.indices.int()), "w": tt(w), "grads": grads})
    # No dim: a scalar; the gradient spreads evenly among ties.
    ties = torch.tensor([[1.0, 3.0, -2.0], [3.0, 0.0, -2.0]])
    case(f"{op} all with ties", op, lambda t, op=op: getattr(t, op)(), ties, {})
    case(f"{op} all", op, lambda t, op=op: getattr(t, op)(), x3, {})
    nan = torch.tensor([[1.0, float("nan"), 5.0], [2.0, 3.0, -1.0]])
    r = getattr(torch, op)(nan, 1)
    cases.append({"name": f"{op} nan", "op": op, "params": {"dim": 1, "keepdim": False}, "inputs": {"input": tt(nan)}, "out": tt(r.values), "indices": tt(r.indices.int()), "w": None, "grads": {}})
    inf = torch.tensor([[-float("inf"), -float("inf")], [float("inf"), 1.0]])
    r = getattr(torch, op)(inf, 1)
    cases.append({"name": f"{op} inf", "op": op, "params": {"dim": 1, "keepdim": False}, "inputs": {"input": tt(inf)}, "out": tt(r.values), "indices": tt(r.indices.int()), "w": None, "grads": {}})

for op in ["argmax", "argmin"]:
    f = getattr(torch, op)
    for dim in [None, 0, 1, 2, -2]:
        for keepdim in [False, True]:
            out = f(x3, dim, keepdim=keepdim) if dim is not None else f(x3, keepdim=keepdim)
            cases.append({"name": f"{op} dim={dim} keepdim={keepdim}", "op": op, "params": {"dim": dim, "keepdim": keepdim}, "inputs": {"input": "x3"}, "out": tt(out.int()), "w": None, "grads": {}})

# logsumexp stability: huge, -inf rows, +inf, NaN.
big = torch.tensor([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1002.0], [-float("inf"), -float("inf"), -float("inf")], [float("inf"), 1.0, 2.0], [float("nan"), 1.0, 2.0]])
r = torch.logsumexp(big, 1)
cases.append({"name": "logsumexp extremes", "op": "logsumexp", "params": {"dim": 1, "keepdim": False}, "inputs": {"input": tt(big)}, "out": tt(r), "w": None, "grads": {}})
case("logsumexp large values grad", "logsumexp", lambda t: torch.logsumexp(t, 1), big[:2].clone(), {"dim": 1, "keepdim": False})

save("reduce", {"shared": shared, "cases": cases})
