"""`clapnet bench features`: time per window of feature extraction + forward pass
for each backend, and MicroPython heap allocation per window, as one table.

Desktop figures: they rank the backends and catch regressions; an ESP32 at
240 MHz with single-precision floats is one to two orders of magnitude slower.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from clapnet.shared import features, network

from .. import micropython, paths
from ..errors import ClapnetError
from ..modelfile import make_model


def bench_windows(count=64, n=256, seed=0):
    """Deterministic clap-like test windows (decaying noise bursts), int16 counts."""
    rng = np.random.default_rng(seed)
    decay = np.exp(-np.arange(n) / rng.uniform(20, 120, (count, 1)))
    x = rng.normal(0, 0.3, (count, n)) * decay
    return np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)


def bench_model(config, hidden=11, seed=0):
    """A model with random weights: the timing does not depend on the weights."""
    rng = np.random.default_rng(seed)
    n_in = len(features.feature_names(config))
    layers = [("fast_tanh", rng.normal(0, 1, (hidden, n_in)), np.zeros(hidden)),
              ("fast_tanh", rng.normal(0, 1, (2, hidden)), np.zeros(2))]
    return make_model(["clap", "other"], config, np.zeros(n_in), np.ones(n_in), layers)


def time_cpython(model, windows, backend, repeat=3):
    ex = features.Features(model["features"], backend)
    net = network.Network(model)
    rows = [list(map(int, w)) for w in windows]
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for w in rows:
            net.forward(ex.extract(w, 1 / 32768))
        best = min(best, (time.perf_counter() - t0) / len(rows))
    return best * 1e6


def time_micropython(model, windows):
    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.json")
        with open(model_path, "w") as f:
            json.dump(model, f)
        data_path = os.path.join(tmp, "windows.bin")
        with open(data_path, "wb") as f:
            f.write(windows.astype("<i2").tobytes())
        # the unmodified shared/ package, imported as `shared` as on the board
        env = dict(os.environ, MICROPYPATH=str(paths.shared().parent))
        result = subprocess.run(
            [micropython.command(), str(paths.tools() / "mp_features.py"),
             model_path, data_path, "bench"],
            capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise ClapnetError("micropython benchmark failed:\n" + result.stderr + result.stdout)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(args):
    windows = bench_windows(args.windows)
    print("clapnet bench features: %d windows of 256 samples; features + forward pass "
          "of an N-11-2 fast_tanh network (N = %s features)"
          % (len(windows), " / ".join("%d %s" % (len(features.feature_names(
              features.preset(p))), p) for p in args.preset)))
    print("Desktop figures (this machine), not ESP32 timings.\n")
    header = "%-10s %-9s %-28s %14s %18s" % ("preset", "backend", "interpreter",
                                             "us / window", "heap B / window")
    print(header)
    print("-" * len(header))
    for preset in args.preset:
        model = bench_model(features.preset(preset))
        for backend in ("numpy", "pure"):
            us = time_cpython(model, windows, backend)
            print("%-10s %-9s %-28s %14.0f %18s" % (preset, backend, "CPython %d.%d"
                  % sys.version_info[:2], us, "-"))
        mp = time_micropython(model, windows)
        print("%-10s %-9s %-28s %14.0f %18.0f" % (preset, mp["backend"],
              "MicroPython unix port", mp["us_per_window"], mp["alloc_bytes_per_window"]))
    return 0


def add_arguments(parser):
    parser.add_argument("--windows", type=int, default=64,
                        help="number of test windows (default 64)")
    parser.add_argument("--preset", action="append", choices=sorted(features.PRESETS),
                        help="feature preset(s) to time (default: default and reference)")
    parser.set_defaults(func=lambda a: run(_defaults(a)))


def _defaults(args):
    if not args.preset:
        args.preset = ["default", "reference"]
    return args


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    a = p.parse_args()
    sys.exit(a.func(a))
