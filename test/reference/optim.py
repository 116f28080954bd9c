"""Optimizer trajectories (torch.optim SGD, Adam, AdamW, single-tensor CPU path) and gradient
clipping, for test/optim.test.ts. Three parameters ([3, 4] and [5] run through torch's scalar
kernels, [20] through its vectorised ones) plus one that never gets a gradient; fixed gradients per
step; the parameters after every step and the final optimizer state are saved."""
import torch

from common import save, t

STEPS = 6
SHAPES = [[3, 4], [5], [20]]

g = torch.Generator().manual_seed(1234)
init = [torch.randn(s, generator=g) for s in SHAPES]
frozen = torch.randn(2, 2, generator=g)
# Gradient scale varies by step so that amsgrad's running max matters.
scales = [1.0, 0.3, 2.0, 0.5, 1.5, 0.1]
grads = [[torch.randn(s, generator=g) * scales[k] for s in SHAPES] for k in range(STEPS)]

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1, "maximize": True, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0}),
    ("AdamW", {"lr": 0.03, "betas": (0.5, 0.9), "weight_decay": 0.2, "maximize": True}),
]


def to_camel(opts):
    names = {"weight_decay": "weightDecay"}
    out = {}
    for k, v in opts.items():
        out[names.get(k, k)] = list(v) if isinstance(v, tuple) else v
    return out


def run(name, opts, groups=None):
    params = [p.clone().requires_grad_(True) for p in init]
    fz = frozen.clone().requires_grad_(True)
    cls = getattr(torch.optim, name)
    if groups is None:
        opt = cls(params + [fz], foreach=False, **opts)
    else:
        opt = cls([{"params": [params[i] for i in idx], **go} for idx, go in groups] + [{"params": [fz]}],
                  foreach=False, **opts)
    traj = []
    for k in range(STEPS):
        opt.zero_grad()
        for p, gr in zip(params, grads[k]):
            p.grad = gr.clone()
        opt.step()
        traj.append([t(p) for p in params])
    state = []
    for p in params:
        st = opt.state[p]
        state.append({k: (t(v) if isinstance(v, torch.Tensor) and v.dim() > 0 else (float(v) if v is not None else None))
                      for k, v in st.items()})
    return {"optimizer": name, "options": to_camel(opts), "trajectory": traj, "state": state}


cases = [run(n, o) for n, o in CASES]
grouped = run("Adam", {"lr": 0.01}, groups=[([0], {"lr": 0.02}), ([1, 2], {"lr": 0.005, "weight_decay": 0.1, "amsgrad": True})])
grouped["groups"] = [{"params": [0], "lr": 0.02}, {"params": [1, 2], "lr": 0.005, "weightDecay": 0.1, "amsgrad": True}]
grouped_sgd = run("SGD", {"lr": 0.1, "momentum": 0.9}, groups=[([0, 2], {}), ([1], {"lr": 0.3, "momentum": 0.0})])
grouped_sgd["groups"] = [{"params": [0, 2]}, {"params": [1], "lr": 0.3, "momentum": 0.0}]

# Gradient clipping.
clip = []
for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, float("inf")), (2.0, 3.0)]:
    params = [p.clone().requires_grad_(True) for p in init]
    for p, gr in zip(params, grads[2]):
        p.grad = gr.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type, foreach=False)
    clip.append({"maxNorm": max_norm, "normType": "inf" if norm_type == float("inf") else norm_type,
                 "total": float(total), "grads": [t(p.grad) for p in params]})
clip_value = []
for cv in [0.5, 2.0]:
    params = [p.clone().requires_grad_(True) for p in init]
    for p, gr in zip(params, grads[2]):
        p.grad = gr.clone()
    torch.nn.utils.clip_grad_value_(params, cv, foreach=False)
    clip_value.append({"clipValue": cv, "grads": [t(p.grad) for p in params]})

save("optim", {
    "init": [t(p) for p in init],
    "frozen": t(frozen),
    "grads": [[t(x) for x in gs] for gs in grads],
    "cases": cases,
    "grouped": grouped,
    "groupedSgd": grouped_sgd,
    "clip": clip,
    "clipValue": clip_value,
})
