"""PyTorch reference for test/shape.test.ts: permute, transpose, slice, concat, stack, expand,
repeat, flatten, squeeze, unsqueeze, split and chunk, with gradients."""
import torch

from _ewcommon import tt, weights
from common import save

gen = torch.Generator().manual_seed(2)
cases = []


def case(name, op, fn, tensors, params):
    leaves = [x.clone().requires_grad_(True) for x in tensors]
    out = fn(*leaves)
    outs = out if isinstance(out, (list, tuple)) else [out]
    ws = [weights(o.shape, gen) for o in outs]
    sum((o * w).sum() for o, w in zip(outs, ws)).backward()
    cases.append(
        {
            "name": name,
            "op": op,
            "params": params,
            "inputs": [tt(x) for x in tensors],
            "outs": [tt(o) for o in outs],
            "ws": [tt(w) for w in ws],
            "grads": [tt(x.grad) for x in leaves],
        }
    )


def r(*shape):
    return torch.randn(shape, generator=gen)


x = r(2, 3, 4)
for dims in [[2, 0, 1], [1, 0, 2], [0, 2, 1], [-1, 0, 1], [0, 1, 2]]:
    case(f"permute {dims}", "permute", lambda t, d=dims: t.permute(*d), [x], {"dims": dims})
case("permute 4-d", "permute", lambda t: t.permute(3, 1, 0, 2), [r(2, 3, 1, 5)], {"dims": [3, 1, 0, 2]})
for d0, d1 in [(0, 1), (0, 2), (-1, -2)]:
    case(f"transpose {d0} {d1}", "transpose", lambda t, a=d0, b=d1: t.transpose(a, b), [x], {"dim0": d0, "dim1": d1})
case("transpose tiled", "transpose", lambda t: t.transpose(0, 1), [r(19, 37)], {"dim0": 0, "dim1": 1})
case("t", "t", lambda t: t.t(), [r(3, 5)], {})

y = r(5, 6)
for dim, start, end, step in [(1, 1, 5, 2), (0, -3, None, 1), (1, -100, 100, 1), (1, 4, 2, 1), (-1, None, None, 3), (0, 1, -1, 1), (1, -2, None, 1), (0, 0, 5, 4)]:
    def f(t, dim=dim, start=start, end=end, step=step):
        idx = [slice(None)] * t.dim()
        idx[dim] = slice(start, end, step)
        return t[tuple(idx)]
    case(f"slice dim={dim} {start}:{end}:{step}", "slice", f, [y], {"dim": dim, "start": start, "end": end, "step": step})

case("concat dim 1", "concat", lambda a, b, c: torch.cat([a, b, c], 1), [r(2, 3), r(2, 1), r(2, 2)], {"dim": 1})
case("concat dim 0", "concat", lambda a, b: torch.cat([a, b], 0), [r(1, 3), r(2, 3)], {"dim": 0})
case("concat dim -1 3-d", "concat", lambda a, b: torch.cat([a, b], -1), [r(2, 2, 3), r(2, 2, 1)], {"dim": -1})
case("concat with empty", "concat", lambda a, b: torch.cat([a, b], 0), [r(0, 3), r(2, 3)], {"dim": 0})
for dim in [0, 1, 2, -1]:
    case(f"stack dim {dim}", "stack", lambda a, b, c, d=dim: torch.stack([a, b, c], d), [r(2, 3), r(2, 3), r(2, 3)], {"dim": dim})

case("expand column", "expand", lambda t: t.expand(2, 3, 4), [r(3, 1)], {"shape": [2, 3, 4]})
case("expand -1", "expand", lambda t: t.expand(3, -1, 4), [r(1, 2, 1)], {"shape": [3, -1, 4]})
case("broadcastTo", "broadcastTo", lambda t: torch.broadcast_to(t, (2, 3)), [r(3)], {"shape": [2, 3]})
case("repeat", "repeat", lambda t: t.repeat(2, 1, 3), [r(2, 3)], {"sizes": [2, 1, 3]})
case("repeat 1-d", "repeat", lambda t: t.repeat(3), [r(2)], {"sizes": [3]})

case("flatten", "flatten", lambda t: t.flatten(), [x], {})
case("flatten 1..2", "flatten", lambda t: t.flatten(1, 2), [x], {"startDim": 1, "endDim": 2})
case("flatten 0..-2", "flatten", lambda t: t.flatten(0, -2), [x], {"startDim": 0, "endDim": -2})
z = r(1, 3, 1, 2)
case("squeeze all", "squeeze", lambda t: t.squeeze(), [z], {})
case("squeeze 0", "squeeze", lambda t: t.squeeze(0), [z], {"dim": 0})
case("squeeze non-1", "squeeze", lambda t: t.squeeze(1), [z], {"dim": 1})
case("squeeze list", "squeeze", lambda t: t.squeeze((0, 2)), [z], {"dim": [0, 2]})
for d in [0, 2, -1, 3]:
    case(f"unsqueeze {d}", "unsqueeze", lambda t, d=d: t.unsqueeze(d), [r(2, 3, 4)], {"dim": d})
case("reshape -1", "reshape", lambda t: t.reshape(4, -1), [x], {"shape": [4, -1]})
case("split size", "split", lambda t: t.split(2, 1), [y], {"split": 2, "dim": 1})
case("split sections", "split", lambda t: t.split([1, 3, 1], 0), [y], {"split": [1, 3, 1], "dim": 0})
case("chunk", "chunk", lambda t: t.chunk(4, 1), [y], {"chunks": 4, "dim": 1})
case("chunk uneven", "chunk", lambda t: t.chunk(3, 0), [y], {"chunks": 3, "dim": 0})
case("narrow", "narrow", lambda t: t.narrow(1, -4, 3), [y], {"dim": 1, "start": -4, "length": 3})

save("shape", {"cases": cases})
