"""Recurrent-layer peer for bench/rnn.js: times one training step (forward + backward of
output.sum(), input requiring grad) of torch.nn.LSTM / GRU, one layer, time-major, on a thread
count fixed by the parent. Prints one JSON object: torch info, median ms over the timed steps and
the peak resident-memory growth during the steps (ru_maxrss after minus resident size before).

usage: python _rnn_peer.py LSTM|GRU B T I H THREADS MIN_SECONDS
"""
import json
import resource
import sys
import time


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (resource.getpagesize() // 1024)


def main():
    cell = sys.argv[1]
    B, T, I, H, threads = (int(v) for v in sys.argv[2:7])
    min_seconds = float(sys.argv[7])
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = getattr(torch.nn, cell)(I, H)
    x = torch.randn(T, B, I, requires_grad=True)

    def step():
        m.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = m(x)
        out.sum().backward()

    before = rss_kb()
    step()  # warm-up: first-call dispatch, oneDNN primitive creation, page faults
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < 30):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times.sort()
    print(
        json.dumps(
            {
                "info": {
                    "version": "torch %s" % torch.__version__,
                    "mkldnn": bool(torch.backends.mkldnn.is_available()),
                    "threads": torch.get_num_threads(),
                },
                "ms": times[len(times) // 2] * 1e3,
                "reps": len(times),
                "peak_mb": max(0, peak - before) / 1024.0,
            }
        )
    )


if __name__ == "__main__":
    main()
