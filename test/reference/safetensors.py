"""safetensors fixtures written by the Python library (safetensors 0.8.0; offline it installs from
the wheel cache: $PY -m pip install --no-index /opt/pypi/files/safetensors-*.whl), for
test/safetensors.test.ts:
  - safetensors_mixed.safetensors: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL tensors,
    metadata; the expected float32 / int32 values in safetensors.json.
  - safetensors_f32i32.safetensors: only F32 and I32 (what textkernels writes), one metadata key:
    our serializer must reproduce these bytes exactly.
  - safetensors_i64big.safetensors: an I64 value outside int32 (loading must refuse it).
"""
import os
import sys

import torch

# This script's own name shadows the package: import the package without this directory on the path.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]
from safetensors.torch import save_file  # noqa: E402

sys.path.insert(0, _here)
from common import FIXTURES, save, t  # noqa: E402

g = torch.Generator().manual_seed(7)
os.makedirs(FIXTURES, exist_ok=True)

mixed = {
    "layer.weight": torch.randn(3, 4, generator=g),
    "layer.bias": torch.randn(4, generator=g).half(),
    "emb.weight": torch.randn(2, 3, generator=g).bfloat16(),
    "scale": torch.tensor(3.141592653589793, dtype=torch.float64),
    "f64": torch.randn(5, generator=g, dtype=torch.float64) * 1e3,
    "half_specials": torch.tensor([65504.0, -0.0, float("inf"), float("-inf"), 6e-8, 1e-5], dtype=torch.float16),
    "ids": torch.tensor([[0, -1, 2147483647], [-2147483648, 5, 6]], dtype=torch.int64),
    "positions": torch.arange(6, dtype=torch.int32).reshape(2, 3),
    "i16": torch.tensor([-32768, 32767, 0], dtype=torch.int16),
    "i8": torch.tensor([-128, 127, 3], dtype=torch.int8),
    "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
    "empty": torch.zeros(0, 3),
}
save_file(mixed, os.path.join(FIXTURES, "safetensors_mixed.safetensors"), metadata={"format": "pt", "note": "mixed"})

plain = {
    "b.weight": torch.randn(2, 3, generator=g),
    "a.bias": torch.randn(3, generator=g),
    "a.weight": torch.randn(3, 2, generator=g),
    "scalar": torch.tensor(2.5),
    "steps": torch.tensor([3, 1, 4, 1, 5], dtype=torch.int32),
    "count": torch.tensor(7, dtype=torch.int32),
    "nothing": torch.zeros(2, 0),
}
save_file(plain, os.path.join(FIXTURES, "safetensors_f32i32.safetensors"), metadata={"format": "pt"})

save_file({"big": torch.tensor([1, 2**40], dtype=torch.int64)}, os.path.join(FIXTURES, "safetensors_i64big.safetensors"))


def expected(x):
    if x.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool):
        return t(x.to(torch.int32))
    out = t(x.float())
    # JSON cannot carry infinities: keep them as strings.
    out["data"] = [v if v == v and abs(v) != float("inf") else str(v) for v in out["data"]]
    return out


save("safetensors", {
    "mixed": {k: expected(v) for k, v in mixed.items()},
    "plain": {k: expected(v) for k, v in plain.items()},
    "mixedMetadata": {"format": "pt", "note": "mixed"},
})
