"""Fixtures for tk.nn.LSTM / GRU / RNN: PyTorch outputs and every gradient (input, initial states,
each weight) of loss = sum(output * wy) + sum(h * wh) [+ sum(c * wc)], for one and two layers,
uni- and bidirectional, with and without initial states, with lengths (through
pack_padded_sequence / pad_packed_sequence with total_length = T), batch_first true and false.
Writes test/fixtures/rnn_{lstm,gru,rnn}.json.
"""
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from common import save
from common import t as t_full


def t(x):
    """As common.t, with 9 significant digits: enough to round-trip float32, half the size."""
    r = t_full(x)
    if r.get("dtype") == "float32":
        r["data"] = [float("%.9g" % v) for v in r["data"]]
    return r

torch.manual_seed(0)

# (name, B, T, I, H, layers, bidirectional, batch_first, with_h0, lengths, bias)
CASES = [
    ("odd_1layer", 3, 7, 5, 11, 1, False, True, False, None, True),
    ("2layer_bidir_h0_tmajor", 2, 5, 3, 4, 2, True, False, True, None, True),
    ("lengths_bidir_h0", 3, 7, 5, 6, 1, True, True, True, [7, 3, 5], True),
    ("lengths_2layer", 4, 6, 3, 5, 2, False, False, True, [2, 6, 1, 4], True),
    ("nobias_bidir", 2, 4, 3, 5, 1, True, True, False, None, False),
    ("batch9_lengths_bidir", 9, 5, 4, 7, 1, True, True, True, [5, 1, 3, 5, 2, 4, 4, 1, 5], True),
]


def run_case(kind, nonlinearity, case):
    name, B, T, I, H, L, bidir, bf, with_h0, lengths, bias = case
    D = 2 if bidir else 1
    if kind == "LSTM":
        m = torch.nn.LSTM(I, H, num_layers=L, bidirectional=bidir, batch_first=bf, bias=bias)
    elif kind == "GRU":
        m = torch.nn.GRU(I, H, num_layers=L, bidirectional=bidir, batch_first=bf, bias=bias)
    else:
        m = torch.nn.RNN(I, H, num_layers=L, bidirectional=bidir, batch_first=bf, bias=bias, nonlinearity=nonlinearity)
    x = torch.randn((B, T, I) if bf else (T, B, I), requires_grad=True)
    h0 = torch.randn(L * D, B, H, requires_grad=True) if with_h0 else None
    c0 = torch.randn(L * D, B, H, requires_grad=True) if (with_h0 and kind == "LSTM") else None
    state = None
    if with_h0:
        state = (h0, c0) if kind == "LSTM" else h0
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    out, st = m(inp, state)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=bf, total_length=T)
    if kind == "LSTM":
        h, c = st
    else:
        h, c = st, None
    wy = torch.randn_like(out)
    wh = torch.randn_like(h)
    loss = (out * wy).sum() + (h * wh).sum()
    wc = None
    if c is not None:
        wc = torch.randn_like(c)
        loss = loss + (c * wc).sum()
    loss.backward()
    rec = {
        "name": name,
        "config": {
            "B": B, "T": T, "inputSize": I, "hiddenSize": H, "numLayers": L, "bidirectional": bidir,
            "batchFirst": bf, "bias": bias, "lengths": lengths, "nonlinearity": nonlinearity,
        },
        "state": {k: t(v) for k, v in m.state_dict().items()},
        "x": t(x), "wy": t(wy), "wh": t(wh),
        "output": t(out), "h": t(h),
        "grads": {"x": t(x.grad), **{k: t(p.grad) for k, p in m.named_parameters()}},
    }
    if h0 is not None:
        rec["h0"] = t(h0)
        rec["grads"]["h0"] = t(h0.grad)
    if c0 is not None:
        rec["c0"] = t(c0)
        rec["grads"]["c0"] = t(c0.grad)
    if c is not None:
        rec["c"] = t(c)
        rec["wc"] = t(wc)
    return rec


save("rnn_lstm", {"cases": [run_case("LSTM", None, c) for c in CASES]})
save("rnn_gru", {"cases": [run_case("GRU", None, c) for c in CASES]})
save("rnn_rnn", {"cases": [run_case("RNN", nl, c) for nl in ("tanh", "relu") for c in CASES[:4] + CASES[5:]]})
