#!/usr/bin/env python3
"""Run bench/torch_dip.py (or $TORCH_BENCH) with time.time replaced by
time.process_time, so it reports CPU seconds (user + system) instead of wall
seconds: a proxy for the work done that a busy machine disturbs less
than wall time. Compare with `nnbench -clock cpu`, both on one thread:

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_dip_cpu.py SIZE CHANNELS ITERS
"""
import os
import runpy
import sys
import time

time.time = time.process_time
here = os.path.dirname(os.path.abspath(__file__))
path = os.environ.get("TORCH_BENCH", os.path.join(here, "torch_dip.py"))
sys.argv = [path] + sys.argv[1:]
runpy.run_path(path, run_name="__main__")
