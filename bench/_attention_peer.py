"""PyTorch peer for bench/attention.js. Modes:
  sdpa THREADS '[[B, H, T, D, causal], ...]' MIN_SECONDS  -> median seconds of forward and of forward+backward
  mem THREADS B H T D                                     -> peak RSS (KiB) after one forward+backward
  layer THREADS B T DMODEL NHEAD DFF MIN_SECONDS           -> median seconds of one encoder-layer training step
Prints one JSON object.
"""
import json
import resource
import sys
import time


def peak_rss_kib():
    # VmHWM is this process's own high-water mark; ru_maxrss also counts the parent's resident set
    # at fork time (Linux keeps it across exec), which here is the benchmark's Node process.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timeit(fn, min_seconds):
    fn()
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < 30):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def main():
    mode, threads = sys.argv[1], int(sys.argv[2])
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    info = {"version": "torch " + torch.__version__, "threads": torch.get_num_threads()}
    if mode == "sdpa":
        shapes, min_seconds = json.loads(sys.argv[3]), float(sys.argv[4])
        res = []
        for B, H, T, D, causal in shapes:
            q, k, v = [torch.randn(B, H, T, D, requires_grad=True) for _ in range(3)]
            g = torch.randn(B, H, T, D)

            def fwd():
                with torch.no_grad():
                    F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))

            def step():
                q.grad = k.grad = v.grad = None
                F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal)).backward(g)

            res.append({"fwd": timeit(fwd, min_seconds), "step": timeit(step, min_seconds)})
        info["results"] = res
    elif mode == "mem":
        B, H, T, D = map(int, sys.argv[3:7])
        q, k, v = [torch.randn(B, H, T, D, requires_grad=True) for _ in range(3)]
        base = peak_rss_kib()
        F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(torch.randn(B, H, T, D))
        info["base_kib"] = base
        info["peak_kib"] = peak_rss_kib()
    elif mode == "layer":
        B, T, E, NH, FF = map(int, sys.argv[3:8])
        min_seconds = float(sys.argv[8])
        layer = torch.nn.TransformerEncoderLayer(E, NH, dim_feedforward=FF, dropout=0.1, batch_first=True)
        opt = torch.optim.SGD(layer.parameters(), lr=1e-3)
        x = torch.randn(B, T, E)
        g = torch.randn(B, T, E)

        def step():
            opt.zero_grad()
            layer(x, is_causal=False).backward(g)
            opt.step()

        info["step"] = timeit(step, min_seconds)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
