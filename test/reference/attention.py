"""Reference outputs for scaled dot-product attention, MultiheadAttention, the transformer layers and
AttentionPooling. Inputs come from a formula both sides compute (test/attention_inputs.ts mirrors
`wave`), so the fixtures hold only sizes, options and PyTorch's outputs and gradients.
Writes test/fixtures/attention.json, attention_long.json, attention_modules.json.
"""
import base64
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from common import save  # noqa: E402

torch.set_num_threads(1)


def wave(shape, seed):
    """Deterministic inputs in [-1.5, 1.5]: sin of a float64 phase, rounded to float32."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    x = torch.sin(i * 0.7853 + seed * 1.618) * torch.cos(i * 0.0123 * (seed % 7 + 1) + seed) * 1.5
    return x.float().reshape(shape)


def t7(x):
    """A tensor as exact little-endian float32 (or int32) bytes in base64: a third of the JSON of
    decimal digits, which keeps the fixtures small enough to commit."""
    x = x.detach().cpu().contiguous()
    if x.dtype in (torch.bool, torch.int32, torch.int64):
        arr = x.to(torch.int32).numpy().astype("<i4")
        return {"shape": list(x.shape), "b64": base64.b64encode(arr.tobytes()).decode(), "dtype": "int32"}
    arr = x.float().numpy().astype("<f4")
    return {"shape": list(x.shape), "b64": base64.b64encode(arr.tobytes()).decode(), "dtype": "float32"}


def sdpa_case(B, H, Tq, Tk, D, seed, causal=False, mask=None, kpm=None, scale=None, rank3=False):
    shape_q = [B, Tq, D] if rank3 else [B, H, Tq, D]
    shape_k = [B, Tk, D] if rank3 else [B, H, Tk, D]
    q = wave(shape_q, seed).requires_grad_()
    k = wave(shape_k, seed + 1).requires_grad_()
    v = wave(shape_k, seed + 2).requires_grad_()
    g = wave(shape_q, seed + 3)
    case = {"B": B, "H": H, "Tq": Tq, "Tk": Tk, "D": D, "seed": seed, "causal": causal, "rank3": rank3}
    attn_mask = None
    if mask == "bool":
        # Allowed where (i + 2 j) % 5 != 0, and key 0 always allowed so no row is fully masked.
        m = torch.tensor([[(i + 2 * j) % 5 != 0 or j == 0 for j in range(Tk)] for i in range(Tq)])
        attn_mask = m
        case["mask"] = "bool"
    elif mask == "float":
        fm = wave([Tq, Tk], seed + 4) * 2
        attn_mask = fm
        case["mask"] = "float"
    elif mask == "boolHeads":
        # [1, H, Tq, Tk] with a fully masked row 0 in head 0: zeros and zero gradients.
        m = torch.tensor([[[(i * 3 + j + h) % 4 != 1 for j in range(Tk)] for i in range(Tq)] for h in range(H)])
        m[0, 0, :] = False
        attn_mask = m.unsqueeze(0)
        case["mask"] = "boolHeads"
    if kpm is not None:
        # Keys at positions >= Tk - kpm[b] are padding for batch row b.
        pad = torch.zeros(B, Tk, dtype=torch.bool)
        for b in range(B):
            pad[b, Tk - kpm[b]:] = True
        case["kpm"] = kpm
        kp = (~pad).view(B, 1, 1, Tk) if not rank3 else (~pad).view(B, 1, Tk)
        if attn_mask is None:
            attn_mask = kp
        elif attn_mask.dtype == torch.bool:
            attn_mask = attn_mask & kp
        else:
            attn_mask = attn_mask.masked_fill(~kp, float("-inf"))
    if scale is not None:
        case["scale"] = scale
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=causal, scale=scale)
    out.backward(g)
    case.update(out=t7(out), dq=t7(q.grad), dk=t7(k.grad), dv=t7(v.grad))
    return case


def main():
    cases = [
        sdpa_case(1, 2, 1, 1, 16, 1),
        sdpa_case(2, 2, 7, 7, 16, 2),
        sdpa_case(1, 2, 7, 7, 16, 3, causal=True),
        sdpa_case(1, 1, 64, 64, 16, 4, causal=True),
        sdpa_case(1, 1, 65, 65, 64, 6, causal=True),
        sdpa_case(1, 1, 7, 7, 64, 5),
        sdpa_case(2, 2, 9, 13, 16, 11, mask="boolHeads", kpm=[3, 0]),
        sdpa_case(2, 1, 20, 20, 16, 12, scale=0.3, mask="float", kpm=[5, 1]),
        sdpa_case(2, 1, 33, 17, 16, 13, rank3=True, kpm=[2, 4]),
    ]
    save("attention", {"sdpa": cases})
    tiles = [
        sdpa_case(1, 1, 130, 130, 16, 7, mask="bool"),
        sdpa_case(1, 1, 7, 130, 16, 8, mask="float"),
        sdpa_case(1, 1, 130, 7, 16, 9, causal=True),
        sdpa_case(2, 1, 65, 130, 16, 10, kpm=[0, 60]),
    ]
    save("attention_tiles", {"sdpa": tiles})
    save("attention_long", {"sdpa": [sdpa_case(1, 1, 300, 300, 16, 20, causal=True)]})
    modules()


def grads(module, inputs):
    out = {name: t7(p.grad) for name, p in module.named_parameters()}
    for name, x in inputs.items():
        out["input." + name] = t7(x.grad)
    return out


def state(module):
    return {k: t7(v) for k, v in module.state_dict().items()}


def modules():
    torch.manual_seed(0)
    res = {}
    B, L, S, E, H = 2, 5, 6, 8, 2
    # MultiheadAttention, packed in-projection.
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True).eval()
    x = wave([B, L, E], 30).requires_grad_()
    mem = wave([B, S, E], 31).requires_grad_()
    kpm = torch.zeros(B, S, dtype=torch.bool)
    kpm[1, 4:] = True
    am = torch.zeros(L, S, dtype=torch.bool)
    am[0, 2] = True
    out, w = mha(x, mem, mem, key_padding_mask=kpm, attn_mask=am, need_weights=True, average_attn_weights=True)
    g = wave([B, L, E], 32)
    out.backward(g)
    res["mha"] = dict(state=state(mha), x=t7(x), mem=t7(mem), kpm=t7(kpm), am=t7(am), g=t7(g), out=t7(out),
                      w=t7(w), grads=grads(mha, {"x": x, "mem": mem}))
    # kdim / vdim differ: separate projections; float mask, per-head weights.
    mha2 = torch.nn.MultiheadAttention(E, H, kdim=6, vdim=12, batch_first=True).eval()
    k2 = wave([B, S, 6], 33).requires_grad_()
    v2 = wave([B, S, 12], 34).requires_grad_()
    x2 = wave([B, L, E], 35).requires_grad_()
    fm = wave([L, S], 36)
    out2, w2 = mha2(x2, k2, v2, attn_mask=fm, need_weights=True, average_attn_weights=False)
    out2.backward(g)
    res["mha2"] = dict(state=state(mha2), x=t7(x2), k=t7(k2), v=t7(v2), am=t7(fm), g=t7(g), out=t7(out2),
                       w=t7(w2), grads=grads(mha2, {"x": x2, "k": k2, "v": v2}))
    # Encoder layers: post-norm relu with causal mask + padding; pre-norm gelu.
    for name, kw in [("enc", dict(activation="relu", norm_first=False)),
                     ("encPre", dict(activation="gelu", norm_first=True))]:
        layer = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.1, batch_first=True, **kw).eval()
        src = wave([B, L, E], 40).requires_grad_()
        causal = torch.nn.Transformer.generate_square_subsequent_mask(L)
        skpm = torch.zeros(B, L, dtype=torch.bool)
        skpm[0, 4] = True
        o = layer(src, src_mask=causal, src_key_padding_mask=skpm)
        o.backward(g)
        res[name] = dict(state=state(layer), kw={"activation": kw["activation"], "normFirst": kw["norm_first"]},
                         src=t7(src), mask=t7(causal), kpm=t7(skpm), g=t7(g), out=t7(o), grads=grads(layer, {"src": src}))
    for name, kw in [("dec", dict(activation="relu", norm_first=False)),
                     ("decPre", dict(activation="gelu", norm_first=True))]:
        layer = torch.nn.TransformerDecoderLayer(E, H, dim_feedforward=16, dropout=0.1, batch_first=True, **kw).eval()
        tgt = wave([B, L, E], 50).requires_grad_()
        memory = wave([B, S, E], 51).requires_grad_()
        causal = torch.nn.Transformer.generate_square_subsequent_mask(L)
        mkpm = torch.zeros(B, S, dtype=torch.bool)
        mkpm[1, 3:] = True
        o = layer(tgt, memory, tgt_mask=causal, memory_key_padding_mask=mkpm)
        o.backward(g)
        res[name] = dict(state=state(layer), kw={"activation": kw["activation"], "normFirst": kw["norm_first"]},
                         tgt=t7(tgt), memory=t7(memory), mask=t7(causal), mkpm=t7(mkpm), g=t7(g), out=t7(o),
                         grads=grads(layer, {"tgt": tgt, "memory": memory}))
    # A 2-layer encoder stack with a final norm.
    enc_layer = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, batch_first=True)
    stack = torch.nn.TransformerEncoder(enc_layer, 2, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False).eval()
    src = wave([B, L, E], 60).requires_grad_()
    o = stack(src)
    o.backward(g)
    res["encStack"] = dict(state=state(stack), src=t7(src), g=t7(g), out=t7(o), grads=grads(stack, {"src": src}))

    # AttentionPooling from seed 003.
    class AttentionPooling(torch.nn.Module):
        def __init__(self, hidden_dim, output_dim):
            super().__init__()
            self.attn = torch.nn.Linear(hidden_dim, 1)
            self.proj = torch.nn.Sequential(torch.nn.Linear(hidden_dim, output_dim), torch.nn.GELU(),
                                            torch.nn.LayerNorm(output_dim))

        def forward(self, x, mask=None):
            s = self.attn(x).squeeze(-1)
            if mask is not None:
                s = s.masked_fill(mask == 0, -1e9)
            w = torch.softmax(s, dim=1)
            return torch.sum(w.unsqueeze(-1) * self.proj(x), dim=1)

    pool = AttentionPooling(E, 8)
    xp = wave([B, L, E], 70).requires_grad_()
    pm = torch.ones(B, L, dtype=torch.int32)
    pm[1, 3:] = 0
    o = pool(xp, pm)
    gp = wave([B, 8], 71)
    o.backward(gp)
    res["pool"] = dict(state=state(pool), x=t7(xp), mask=t7(pm), g=t7(gp), out=t7(o), grads=grads(pool, {"x": xp}))
    save("attention_modules", res)


if __name__ == "__main__":
    main()
