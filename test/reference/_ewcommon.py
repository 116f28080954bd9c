"""Shared by elementwise.py, reduce.py and shape.py: fixture tensors whose non-finite values are
written as the strings "NaN", "Infinity", "-Infinity" (JSON has no literals for them; the tests
map them back with Number())."""
import math

import torch

from common import t


def tt(x):
    o = t(x)
    # 9 significant digits round-trip a float32 exactly and keep the fixtures small.
    o["data"] = [
        (float(f"{v:.9g}") if math.isfinite(v) else str(v).replace("nan", "NaN").replace("inf", "Infinity"))
        if isinstance(v, float)
        else v
        for v in o["data"]
    ]
    return o


def weights(shape, gen):
    """Fixed weighting w: cases check gradients of sum(out * w)."""
    return torch.rand(shape, generator=gen) + 0.5


def run(fn, inputs, gen):
    """inputs: dict of name -> tensor (float ones get grads) or number. Returns (out, w, grads)."""
    leaves = {}
    args = {}
    for k, v in inputs.items():
        if isinstance(v, torch.Tensor) and v.is_floating_point():
            leaf = v.clone().requires_grad_(True)
            leaves[k] = leaf
            args[k] = leaf
        else:
            args[k] = v
    out = fn(**args)
    grads = {}
    w = None
    if out.is_floating_point() and out.requires_grad:
        w = weights(out.shape, gen)
        (out * w).sum().backward()
        grads = {k: tt(v.grad) if v.grad is not None else None for k, v in leaves.items()}
    return out, w, grads


def enc(v):
    if isinstance(v, torch.Tensor):
        return tt(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v).replace("nan", "NaN").replace("inf", "Infinity")
    return v
