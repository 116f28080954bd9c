"""Helpers for the reference scripts: each script builds inputs with a seeded generator, runs
PyTorch, and writes one JSON fixture to test/fixtures/. Tensors become {shape, data, dtype}.
Run with the PyTorch environment: PY=$(../shared/tools/torch-env.sh); $PY test/reference/<name>.py
"""
import json
import os

import torch

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def t(x):
    """A tensor as a fixture object (float32 values are written with full precision)."""
    x = x.detach().cpu()
    if x.dtype == torch.bool:
        return {"shape": list(x.shape), "data": x.flatten().int().tolist(), "dtype": "bool"}
    if x.dtype in (torch.int32, torch.int64):
        return {"shape": list(x.shape), "data": x.flatten().tolist(), "dtype": "int32"}
    return {"shape": list(x.shape), "data": [float(v) for v in x.float().flatten().tolist()], "dtype": "float32"}


def save(name, obj):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name + ".json")
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")
