"""PyTorch references for lib/ops/matmul.ts: torch.matmul over every promotion and broadcasting
case, and torch.nn.functional.linear, with gradients of sum(out * w) for a random weighting w."""
import torch

from common import save, t

g = torch.Generator().manual_seed(0)


def rand(*shape):
    return torch.randn(tuple(shape), generator=g, dtype=torch.float32)


MATMUL = [
    ("dot", [4], [4]),
    ("mv", [3, 4], [4]),
    ("vm", [4], [4, 5]),
    ("mm", [3, 4], [4, 5]),
    ("mm_1x1", [1, 1], [1, 1]),
    ("mm_odd", [7, 13], [13, 9]),
    ("batched_a", [2, 3, 4], [4, 5]),
    ("batched_b", [3, 4], [2, 4, 5]),
    ("batched_both", [2, 3, 4], [2, 4, 5]),
    ("broadcast_1", [1, 3, 4], [2, 4, 5]),
    ("broadcast_4d", [2, 1, 3, 4], [5, 4, 2]),
    ("broadcast_mixed", [3, 1, 2, 4], [1, 2, 4, 3]),
    ("vec_batched", [4], [2, 4, 5]),
    ("batched_vec", [2, 3, 4], [4]),
    ("empty_rows", [0, 4], [4, 5]),
    ("empty_k", [3, 0], [0, 5]),
    ("empty_batch", [0, 3, 4], [4, 5]),
]

cases = []
for name, sa, sb in MATMUL:
    a = rand(*sa).requires_grad_()
    b = rand(*sb).requires_grad_()
    out = torch.matmul(a, b)
    w = rand(*out.shape)
    (out * w).sum().backward()
    cases.append({"name": name, "a": t(a), "b": t(b), "out": t(out), "w": t(w), "grad_a": t(a.grad), "grad_b": t(b.grad)})

LINEAR = [
    ("vector", [5], [3, 5], True),
    ("matrix", [6, 5], [3, 5], True),
    ("matrix_nobias", [6, 5], [3, 5], False),
    ("rank3", [2, 4, 5], [3, 5], True),
    ("rank4", [2, 1, 3, 7], [4, 7], True),
    ("empty_rows", [0, 5], [3, 5], True),
    ("wide", [3, 33], [17, 33], True),
]
linear = []
for name, sx, sw, has_bias in LINEAR:
    x = rand(*sx).requires_grad_()
    weight = rand(*sw).requires_grad_()
    bias = rand(sw[0]).requires_grad_() if has_bias else None
    out = torch.nn.functional.linear(x, weight, bias)
    w = rand(*out.shape)
    (out * w).sum().backward()
    c = {"name": name, "x": t(x), "weight": t(weight), "out": t(out), "w": t(w), "grad_x": t(x.grad), "grad_weight": t(weight.grad)}
    if bias is not None:
        c["bias"] = t(bias)
        c["grad_bias"] = t(bias.grad)
    linear.append(c)

save("matmul", {"matmul": cases, "linear": linear})
