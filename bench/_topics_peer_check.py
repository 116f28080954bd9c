"""Checks that the PyTorch peer of bench/topics.js (bench/_topics_peer.py) computes what our models compute:
loads the one-step fixtures of test/fixtures/topic_models.json (fixed weights, batch and noise; our tk.topics
models are tested against the same file), puts the weights into the peer's modules, feeds the fixture's
noise in place of the peer's random draws, and compares the loss and every gradient, for the dense and the
torch.sparse input paths. Prints one line per model and path; exits 1 on a mismatch, 0 with a message when
the fixture is absent (before the topic models land).

usage: /tmp/torch-env/bin/python bench/_topics_peer_check.py
"""
import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _topics_peer as peer  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "topic_models.json")

# fixture name -> (peer attribute path, transpose?)
NAMES = {
    "encoder.input.weight": ("fc1.weight", True),
    "encoder.input.bias": ("fc1.bias", False),
    "encoder.layers.0.weight": ("fc2.weight", False),
    "encoder.layers.0.bias": ("fc2.bias", False),
    "fc.weight": ("fcz.weight", False),
    "fc.bias": ("fcz.bias", False),
    "rho": ("rho.weight", False),
    "piLogits": ("pi_logits", False),
}


def tensor(v):
    """A fixture tensor ({data, shape} with NaN/Infinity as strings, or a nested list) -> torch.float32."""
    if isinstance(v, dict):
        data = [float(x) for x in v["data"]]
        return torch.tensor(data, dtype=torch.float32).reshape(v["shape"])
    return torch.tensor(v, dtype=torch.float32)


def param(model, path):
    obj = model
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def main():
    if not os.path.exists(FIXTURE):
        print("no test/fixtures/topic_models.json here (the topic models have not landed): nothing to check")
        return 0
    with open(FIXTURE) as f:
        fx = json.load(f)
    V, K = fx["V"], fx["K"]
    classes = peer.build_torch_models()
    worst = 0.0
    ok = True
    for case in fx["cases"]:
        name = case["name"]
        params = {k: tensor(v) for k, v in case["params"].items()}
        hidden = tuple(params["encoder.layers.0.weight"].shape[::-1])  # (h0, h1)
        kwargs = {"hidden": hidden}
        if name == "WLDA":
            kwargs["recon_weight"] = fx["reconWeight"]
        if name == "ETM":
            kwargs["emb"] = params["rho"].shape[1]
        b = case["batch"]
        csr = SimpleNamespace(
            indptr=np.asarray(b["indptr"], dtype=np.int64),
            indices=np.asarray(b["indices"], dtype=np.int64),
            values=np.asarray(b["values"], dtype=np.float32),
            rows=len(b["indptr"]) - 1,
            cols=V,
        )
        noise = {k: tensor(v) for k, v in case["noise"].items()}
        for sparse in (False, True):
            model = classes[name.lower()](V, K, **kwargs)
            if name == "GMNTM":
                model.pretraining = False
            with torch.no_grad():
                for k, v in params.items():
                    path, transpose = NAMES.get(k, (k, False))
                    p = param(model, path)
                    p.copy_(v.t() if transpose else v)
            # The fixture's noise in place of the peer's draws: eps for randn_like, then WLDA's mix and prior.
            draws = [noise["mix"], noise["prior"]] if name == "WLDA" else []
            if name == "WLDA":
                model.prior = SimpleNamespace(sample=lambda shape, d=draws: d.pop(0))
            randn_like = torch.randn_like
            torch.randn_like = lambda x, e=noise.get("eps"): e.clone()
            try:
                batch = peer.Batch(torch, csr, np.arange(csr.rows), sparse, getattr(model, "normalized_input", False))
                loss = model.loss(batch)
                loss.backward()
            finally:
                torch.randn_like = randn_like
            diffs = {"loss": abs(float(loss) - case["loss"]) / max(1.0, abs(case["loss"]))}
            for k, g in case["grads"].items():
                path, transpose = NAMES.get(k, (k, False))
                mine = param(model, path).grad
                ref = tensor(g)
                mine = mine.t() if transpose else mine
                diffs[k] = float((mine - ref).abs().max() / max(1e-3, float(ref.abs().max())))
            bad = {k: v for k, v in diffs.items() if not v < 1e-4}
            worst = max(worst, max(diffs.values()))
            ok = ok and not bad
            path_name = "sparse" if sparse else "dense"
            print(
                f"{name:6s} {path_name:6s} loss {float(loss):.6f} (fixture {case['loss']:.6f}), "
                f"largest relative gradient difference {max(v for k, v in diffs.items() if k != 'loss'):.2e}"
                + (f"  MISMATCH: {', '.join(sorted(bad))}" if bad else "")
            )
    print("peer matches the fixtures" if ok else "peer DIFFERS from the fixtures")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
