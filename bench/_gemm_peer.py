"""GEMM peer for bench/gemm.js: times C = A @ B in float32 with numpy (its BLAS, usually OpenBLAS)
or PyTorch CPU, on a thread count fixed by the parent (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS,
and torch.set_num_threads here). Prints one JSON object: library info and, per shape, the median
seconds of the timed repetitions.

usage: python _gemm_peer.py numpy|torch THREADS '[[m, n, k], ...]' MIN_SECONDS
"""
import json
import sys
import time


def timeit(fn, min_seconds):
    fn()
    fn()  # warm-up: thread start, page faults, first-call dispatch
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_seconds and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], len(times)


def main():
    lib, threads, shapes, min_seconds = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4])
    import numpy as np

    info = {"lib": lib, "threads": threads}
    results = []
    rng = np.random.default_rng(0)
    if lib == "numpy":
        cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
        try:
            blas = cfg["Build Dependencies"]["blas"]
            info["version"] = "numpy %s, %s %s" % (np.__version__, blas.get("name"), blas.get("version"))
            info["blas_config"] = blas.get("openblas configuration", "")
        except Exception:  # noqa: BLE001 - older numpy: no dict config
            info["version"] = "numpy " + np.__version__
        try:
            from threadpoolctl import threadpool_info

            info["threadpools"] = [
                {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")} for p in threadpool_info()
            ]
        except ImportError:
            pass
        for m, n, k in shapes:
            a = rng.standard_normal((m, k), dtype=np.float32)
            b = rng.standard_normal((k, n), dtype=np.float32)
            c = np.empty((m, n), dtype=np.float32)
            sec, reps = timeit(lambda: np.matmul(a, b, out=c), min_seconds)
            results.append({"shape": [m, n, k], "seconds": sec, "reps": reps})
    else:
        import torch

        torch.set_num_threads(threads)
        info["version"] = "torch %s (%s)" % (torch.__version__, "MKL" if torch.backends.mkl.is_available() else "no MKL")
        info["torch_threads"] = torch.get_num_threads()
        for m, n, k in shapes:
            a = torch.randn(m, k)
            b = torch.randn(k, n)
            c = torch.empty(m, n)
            sec, reps = timeit(lambda: torch.matmul(a, b, out=c), min_seconds)
            results.append({"shape": [m, n, k], "seconds": sec, "reps": reps})
    print(json.dumps({"info": info, "results": results}))


if __name__ == "__main__":
    main()
