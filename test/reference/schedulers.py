"""Learning-rate sequences of torch.optim.lr_scheduler over 20+ epochs, two parameter groups,
for test/schedulers.test.ts. Each entry: the scheduler's options and get_last_lr() after
construction and after each step."""
import math

import torch

from common import save

EPOCHS = 22


def optimizer():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)


def run(make, metrics=None):
    opt = optimizer()
    sched = make(opt)
    lrs = [list(sched.get_last_lr())]
    for e in range(EPOCHS):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        lrs.append([float(x) for x in sched.get_last_lr()])
    return lrs


S = torch.optim.lr_scheduler
cases = []


def add(kind, opts, make, metrics=None):
    cases.append({"kind": kind, "options": opts, "metrics": metrics, "lrs": run(make, metrics)})


add("StepLR", {"stepSize": 3, "gamma": 0.5}, lambda o: S.StepLR(o, step_size=3, gamma=0.5))
add("StepLR", {"stepSize": 1}, lambda o: S.StepLR(o, step_size=1))
add("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}, lambda o: S.MultiStepLR(o, [2, 5, 5, 11], gamma=0.3))
add("ExponentialLR", {"gamma": 0.8}, lambda o: S.ExponentialLR(o, gamma=0.8))
# Linear warm-up over 5 epochs then inverse square root decay (the JS test uses the same function).
add("LambdaLR", {"fn": "warmup"}, lambda o: S.LambdaLR(o, lambda e: (e + 1) / 5 if e < 5 else (5 / (e + 1)) ** 0.5))
add("LinearLR", {}, lambda o: S.LinearLR(o))
add("LinearLR", {"startFactor": 0.1, "endFactor": 0.9, "totalIters": 8},
    lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=8))
add("LinearLR", {"startFactor": 1.0, "endFactor": 0.0, "totalIters": 10},
    lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10))
add("CosineAnnealingLR", {"tMax": 7}, lambda o: S.CosineAnnealingLR(o, T_max=7))
add("CosineAnnealingLR", {"tMax": 5, "etaMin": 0.001}, lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001))

m1 = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.97, 0.8, 0.81, 0.82, 0.80, 0.80, 0.79, 0.8, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
m2 = [0.1, 0.2, 0.2, 0.25, 0.25, 0.24, 0.3, 0.3, 0.3, 0.29, 0.31, 0.31, 0.31, 0.31, 0.4, 0.4, 0.39, 0.39, 0.39, 0.39, 0.39, 0.5]
add("ReduceLROnPlateau", {"patience": 2}, lambda o: S.ReduceLROnPlateau(o, patience=2), m1)
add("ReduceLROnPlateau", {"patience": 1, "factor": 0.5, "cooldown": 2, "minLr": [0.02, 0.001]},
    lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=2, min_lr=[0.02, 0.001]), m1)
add("ReduceLROnPlateau", {"patience": 0, "factor": 0.5, "threshold": 0.05, "thresholdMode": "abs", "minLr": 0.01},
    lambda o: S.ReduceLROnPlateau(o, patience=0, factor=0.5, threshold=0.05, threshold_mode="abs", min_lr=0.01), m1)
add("ReduceLROnPlateau", {"mode": "max", "patience": 1, "factor": 0.2, "threshold": 0.1},
    lambda o: S.ReduceLROnPlateau(o, mode="max", patience=1, factor=0.2, threshold=0.1), m2)
add("ReduceLROnPlateau", {"mode": "max", "patience": 2, "thresholdMode": "abs", "threshold": 0.0, "eps": 0.01, "factor": 0.9},
    lambda o: S.ReduceLROnPlateau(o, mode="max", patience=2, threshold_mode="abs", threshold=0.0, eps=0.01, factor=0.9), m2)

# step(epoch) with an explicit epoch uses the closed forms.
closed = []
for kind, make in [("StepLR", lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
                   ("MultiStepLR", lambda o: S.MultiStepLR(o, [2, 5, 5, 11], gamma=0.3)),
                   ("LinearLR", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=8)),
                   ("ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.8)),
                   ("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001))]:
    import warnings
    warnings.simplefilter("ignore")
    opt = optimizer()
    sched = make(opt)
    seq = []
    for e in [4, 9, 12, 3]:
        opt.step()
        sched.step(e)
        seq.append([float(x) for x in sched.get_last_lr()])
    closed.append({"kind": kind, "epochs": [4, 9, 12, 3], "lrs": seq})

save("schedulers", {"cases": cases, "closed": closed})
