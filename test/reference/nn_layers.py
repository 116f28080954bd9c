"""An Embedding -> Linear -> GELU -> LayerNorm -> Dropout -> Linear stack in PyTorch: its state_dict
as safetensors (written by hand: the safetensors package is not installed here), the logits, the
cross-entropy loss with label smoothing, every parameter's gradient, and the parameters after one
AdamW step. test/nn_layers.test.ts loads the same weights into
textkernels modules and compares."""
import json
import struct

import torch
from common import t, save, FIXTURES


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        x = tensors[name].detach().contiguous()
        raw = x.numpy().tobytes()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[x.dtype]
        header[name] = {"dtype": dtype, "shape": list(x.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


torch.manual_seed(0)
V, E, H, C = 11, 7, 5, 3
model = torch.nn.Sequential(
    torch.nn.Embedding(V, E),
    torch.nn.Linear(E, H),
    torch.nn.GELU(),
    torch.nn.LayerNorm(H),
    torch.nn.Dropout(0.25),
    torch.nn.Linear(H, C),
)
model.eval()  # dropout off, so the outputs are deterministic
ids = torch.tensor([[1, 4, 0, 10], [3, 3, 7, 2]])
target = torch.tensor([0, 2, 1, 1, 2, 0, 0, 1])

write_safetensors(FIXTURES + "/nn_layers.safetensors", model.state_dict())

logits = model(ids)
loss = torch.nn.functional.cross_entropy(logits.reshape(-1, C), target, label_smoothing=0.1)
loss.backward()
grads = {n: t(p.grad) for n, p in model.named_parameters()}

opt = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
opt.step()
after_adamw = {n: t(p) for n, p in model.named_parameters()}

save(
    "nn_layers",
    {
        "ids": t(ids.int()),
        "target": t(target.int()),
        "logits": t(logits),
        "loss": loss.item(),
        "grads": grads,
        "afterAdamW": after_adamw,
        "names": [n for n, _ in model.named_parameters()],
    },
)
