#!/usr/bin/env python3
"""Time PyTorch float32 a @ b for a square size (default 1024) on 2 threads.

Reference for internal/sgemm (BenchmarkGemm1024). Run:
    OMP_NUM_THREADS=2 /usr/bin/python3 bench/sgemm_torch.py [n] [repeats] [threads]
Prints the best and median GFLOP/s over `repeats` timed batches of about
2 GFLOP each, and the BLAS library torch loaded. Debian's python3-torch calls
whatever libblas.so.3 is installed (the netlib reference BLAS by default); to
time it with OpenBLAS without installing it system-wide:
    apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb ob
    LD_LIBRARY_PATH=$PWD/ob/usr/lib/x86_64-linux-gnu/openblas-pthread OMP_NUM_THREADS=2 \
        /usr/bin/python3 bench/sgemm_torch.py
"""
import sys
import time

import torch


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=g, dtype=torch.float32) * 2 - 1
    b = torch.rand(n, n, generator=g, dtype=torch.float32) * 2 - 1
    c = a @ b  # warm up
    flops = 2.0 * n * n * n
    inner = max(1, int(2e9 // flops))  # about 2 GFLOP per batch
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            c = a @ b
        dt = time.perf_counter() - t0
        rates.append(flops * inner / dt / 1e9)
    rates.sort()
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} n={n}: "
          f"best {rates[-1]:.1f} GFLOP/s, median {rates[len(rates)//2]:.1f} GFLOP/s")
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path.lower() or "mkl" in path.lower():
                libs.add(path)
    print("  BLAS libraries loaded: " + (", ".join(sorted(libs)) or "none found"))


if __name__ == "__main__":
    main()
