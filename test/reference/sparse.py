"""PyTorch references for lib/sparse.ts: CSR x dense and its gradient for the dense operand.
Run: /tmp/torch-env/bin/python test/reference/sparse.py"""
import torch

from common import save, t


def compact(obj):
    """Rounds float data to 9 significant digits (exact for float32) to keep fixtures small."""
    if isinstance(obj, dict):
        if obj.get("dtype") == "float32":
            # JSON has no NaN or infinities: they travel as strings, which Float32Array.from reads.
            obj["data"] = [float("%.9g" % v) if v == v and abs(v) != float("inf") else str(v).replace("inf", "Infinity").replace("nan", "NaN") for v in obj["data"]]
            return obj
        return {k: compact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [compact(v) for v in obj]
    return obj

torch.manual_seed(0)
cases = []
for R, C, H, density in [(6, 10, 4, 0.3), (1, 5, 3, 0.0), (9, 40, 17, 0.1), (4, 3, 1, 1.0)]:
    dense_a = torch.randn(R, C) * (torch.rand(R, C) < density)
    csr = dense_a.to_sparse_csr()
    b = torch.randn(C, H, requires_grad=True)
    y = torch.sparse.mm(csr, b) if dense_a.abs().sum() > 0 else dense_a @ b
    g = torch.randn_like(y)
    (gb,) = torch.autograd.grad(y, [b], g)
    cases.append({"R": R, "C": C, "indptr": t(csr.crow_indices().int()), "indices": t(csr.col_indices().int()),
                  "values": t(csr.values()), "dense": t(b), "y": t(y), "g": t(g), "gdense": t(gb)})
save("sparse", compact(cases))
