"""PyTorch reference for test/elementwise.test.ts: binary ops over broadcasting patterns, every
unary op including extreme inputs, comparisons, where and masked_fill."""
import torch
import torch.nn.functional as F

from _ewcommon import enc, run, tt
from common import save

gen = torch.Generator().manual_seed(0)


def rnd(*shape, lo=-2.0, hi=2.0):
    return torch.rand(shape, generator=gen) * (hi - lo) + lo


cases = []


def case(name, op, fn, inputs, params=None):
    out, w, grads = run(fn, inputs, gen)
    cases.append(
        {
            "name": name,
            "op": op,
            "params": params or {},
            "inputs": {k: enc(v) for k, v in inputs.items()},
            "out": tt(out),
            "w": tt(w) if w is not None else None,
            "grads": grads,
        }
    )


# Binary ops over broadcasting patterns.
patterns = {
    "same": ((3, 4), (3, 4)),
    "scalar-tensor": ((3, 4), ()),
    "row": ((3, 4), (4,)),
    "column": ((3, 4), (3, 1)),
    "3d-vs-2d": ((2, 3, 4), (3, 4)),
    "size1-both": ((2, 1, 4), (1, 3, 1)),
    "left-broadcast": ((1, 4), (3, 1, 1)),
    "empty": ((0, 4), (4,)),
}
torch_ops = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}
for op, f in torch_ops.items():
    for pname, (sa, sb) in patterns.items():
        a = rnd(*sa)
        b = rnd(*sb)
        if op == "pow":
            a = rnd(*sa, lo=0.2, hi=2.0)
            b = rnd(*sb, lo=-1.5, hi=2.5)
        if op == "div":
            b = torch.where(b.abs() < 0.3, b.sign() * 0.3 + 0.3 * (b == 0), b)
        case(f"{op} {pname}", op, lambda input, other, f=f: f(input, other), {"input": a, "other": b})
        # Operands swapped, so the broadcast side is the first input too.
        case(f"{op} {pname} swapped", op, lambda input, other, f=f: f(input, other), {"input": b, "other": a} if op != "pow" else {"input": rnd(*sb, lo=0.2, hi=2.0), "other": rnd(*sa, lo=-1.5, hi=2.5)})

case("add alpha", "add", lambda input, other: torch.add(input, other, alpha=2.5), {"input": rnd(3, 4), "other": rnd(4)}, {"alpha": 2.5})
case("sub alpha", "sub", lambda input, other: torch.sub(input, other, alpha=-0.5), {"input": rnd(3, 1), "other": rnd(3, 4)}, {"alpha": -0.5})
case("add number", "add", lambda input, other: torch.add(input, other), {"input": rnd(2, 3), "other": 1.5})
case("sub number first", "sub", lambda input, other: torch.sub(input, other), {"input": 1.5, "other": rnd(2, 3)})
case("mul number", "mul", lambda input, other: torch.mul(input, other), {"input": rnd(2, 3), "other": -3.0})
case("div number first", "div", lambda input, other: torch.div(input, other), {"input": 2.0, "other": rnd(2, 3, lo=0.5, hi=2)})
for e in [2.0, 3.0, 0.5, -1.0, -0.5, 0.0, 1.7]:
    case(f"pow tensor^{e}", "pow", lambda input, other: torch.pow(input, other), {"input": rnd(2, 5, lo=0.3, hi=2.0), "other": e})
case("pow number^tensor", "pow", lambda input, other: torch.pow(input, other), {"input": 2.0, "other": rnd(2, 3)})
case("pow zero base", "pow", lambda input, other: torch.pow(input, other), {"input": torch.tensor([0.0, 0.0, 2.0, 0.0]), "other": torch.tensor([2.0, 0.0, 1.0, 3.0])})
ties_a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
ties_b = torch.tensor([1.0, 5.0, 2.0])
case("maximum ties", "maximum", lambda input, other: torch.maximum(input, other), {"input": ties_a, "other": ties_b})
case("minimum ties", "minimum", lambda input, other: torch.minimum(input, other), {"input": ties_a, "other": ties_b})
nan_a = torch.tensor([float("nan"), 1.0, 2.0, float("inf"), -float("inf")])
nan_b = torch.tensor([1.0, float("nan"), 3.0, 1.0, 0.0])
for op in ["add", "mul", "div", "maximum", "minimum"]:
    f = torch_ops[op]
    out = f(nan_a, nan_b)
    cases.append({"name": f"{op} nan/inf", "op": op, "params": {}, "inputs": {"input": tt(nan_a), "other": tt(nan_b)}, "out": tt(out), "w": None, "grads": {}})
case("div by zero", "div", lambda input, other: torch.div(input, other), {"input": torch.tensor([1.0, -1.0, 0.0]), "other": torch.tensor([0.0, 0.0, 0.0])})

# Unary ops: a smooth random part and extreme values.
special = torch.tensor([0.0, -0.0, 1e-8, -1e-8, 20.5, -20.5, 88.0, 89.0, -104.0, 100.0, -100.0, float("inf"), -float("inf"), float("nan")])
positive_special = torch.tensor([0.0, 1e-30, 1e-8, 1e30, float("inf"), -1.0, float("nan")])
unary = {
    "neg": (torch.neg, {}),
    "exp": (torch.exp, {}),
    "log": (torch.log, {"positive": True}),
    "sqrt": (torch.sqrt, {"positive": True}),
    "rsqrt": (torch.rsqrt, {"positive": True}),
    "abs": (torch.abs, {}),
    "sin": (torch.sin, {}),
    "cos": (torch.cos, {}),
    "tanh": (torch.tanh, {}),
    "sigmoid": (torch.sigmoid, {}),
    "relu": (torch.relu, {}),
    "square": (torch.square, {}),
}
for name, (f, opt) in unary.items():
    x = rnd(3, 7, lo=0.1, hi=4.0) if opt.get("positive") else rnd(3, 7, lo=-4.0, hi=4.0)
    case(f"{name}", name, lambda input, f=f: f(input), {"input": x})
    sp = positive_special if opt.get("positive") else special
    case(f"{name} extremes", name, lambda input, f=f: f(input), {"input": sp})

param_unary = [
    ("gelu", {"approximate": "none"}, lambda x: F.gelu(x)),
    ("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("softplus", {}, lambda x: F.softplus(x)),
    ("softplus", {"beta": 2.0, "threshold": 5.0}, lambda x: F.softplus(x, beta=2.0, threshold=5.0)),
    ("leakyRelu", {"negativeSlope": 0.2}, lambda x: F.leaky_relu(x, 0.2)),
    ("leakyRelu", {}, lambda x: F.leaky_relu(x)),
    ("clamp", {"min": -1.0, "max": 1.5}, lambda x: torch.clamp(x, min=-1.0, max=1.5)),
    ("clamp", {"min": 0.5}, lambda x: torch.clamp(x, min=0.5)),
    ("clamp", {"max": -0.5}, lambda x: torch.clamp(x, max=-0.5)),
    ("clamp", {"min": 1.0, "max": -1.0}, lambda x: torch.clamp(x, min=1.0, max=-1.0)),
]
for name, params, f in param_unary:
    x = rnd(4, 6, lo=-4.0, hi=4.0)
    if name == "clamp":
        # Values exactly on the bounds: the gradient passes there.
        x = torch.cat([x.flatten(), torch.tensor([-1.0, 1.5, 0.5, -0.5])]).reshape(4, 7)
    case(f"{name} {params}", name, lambda input, f=f: f(input), {"input": x}, params)
    case(f"{name} {params} extremes", name, lambda input, f=f: f(input), {"input": special}, params)

# Comparisons (no grad) with broadcasting and ties, float and int.
ca = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
cb = torch.tensor([2.0, 2.0, float("nan")])
for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    f = getattr(torch, op)
    cases.append({"name": f"{op}", "op": op, "params": {}, "inputs": {"input": tt(ca), "other": tt(cb)}, "out": tt(f(ca, cb).int()), "w": None, "grads": {}})
    cases.append({"name": f"{op} number", "op": op, "params": {}, "inputs": {"input": tt(ca), "other": 2.0}, "out": tt(f(ca, 2.0).int()), "w": None, "grads": {}})
    ia = torch.tensor([[1, 5, -3]], dtype=torch.int32)
    ib = torch.tensor([[1], [-3]], dtype=torch.int32)
    cases.append({"name": f"{op} int32", "op": op, "params": {}, "inputs": {"input": tt(ia), "other": tt(ib)}, "out": tt(f(ia, ib).int()), "w": None, "grads": {}})

# where and masked_fill.
cond = torch.tensor([[True], [False], [True]])
case("where broadcast", "where", lambda condition, input, other: torch.where(condition.bool(), input, other), {"condition": cond.int(), "input": rnd(4), "other": rnd(3, 4)})
case("where number other", "where", lambda condition, input, other: torch.where(condition.bool(), input, other), {"condition": torch.tensor([True, False, False, True]).int(), "input": rnd(2, 4), "other": -1.0})
mask = torch.tensor([False, True, False, True])
case("maskedFill row mask", "maskedFill", lambda input, mask: input.masked_fill(mask.bool(), -1e9), {"input": rnd(3, 4), "mask": mask.int()}, {"value": -1e9})
case("maskedFill -inf", "maskedFill", lambda input, mask: input.masked_fill(mask.bool(), float("-inf")), {"input": rnd(2, 3, 4), "mask": torch.rand(3, 1, generator=gen).gt(0.5).int()}, {"value": "-Infinity"})

save("elementwise", {"cases": cases})
