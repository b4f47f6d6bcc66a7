"""`clapnet bench avr`: the Arduino Mega sketch in simavr, cycles per window
(features and network, each feature stage), flash and SRAM, and the largest
difference from shared/ (Python) in features and probabilities."""
import os
import tempfile
from pathlib import Path

import numpy as np

from .. import paths
from ..avr.build import (F_CPU, FULL_SCALE, avr_size, build_avr, build_harness, make_stream,
                         parse_events, prepare_sketch, run_simavr)
from ..errors import ClapnetError
from ..modelfile import load_model

DESCRIPTION = ("Build the Arduino Mega sketch with avr-gcc for each model, run it in "
               "simavr on seed recordings injected into the ADC, and print the median "
               "cycles per window for the features and for the network, the time at "
               "16 MHz, flash and SRAM from avr-size, and the largest difference from "
               "shared/ (Python) in features and probabilities.")



def seed_windows(seed_dir):
    path = Path(seed_dir) / "recordings.npz"
    if not path.exists():
        raise ClapnetError("%s not found: pass --seed-dir with the seed recordings" % path)
    data = np.load(path)
    return data["x"].astype(np.int16)


def bench_model(config, windows, hidden=11, seed=0):
    """A features-11-2 FastTanh network with random weights, normalised on `windows`:
    the cycle counts do not depend on the weights."""
    from clapnet.shared import features
    from ..modelfile import make_model
    ex = features.Features(config, "numpy")
    f = np.array([ex.extract(w.tolist(), 1 / FULL_SCALE) for w in windows])
    rng = np.random.default_rng(seed)
    layers = [("fast_tanh", rng.normal(0, 1 / np.sqrt(f.shape[1]), (hidden, f.shape[1])),
               np.zeros(hidden)),
              ("fast_tanh", rng.normal(0, 1, (2, hidden)), np.zeros(2))]
    return make_model(["clap", "other"], config, f.mean(0), f.std(0) + 1e-6, layers)


def bench_one(model, windows, folder, harness):
    """Cycles per window (features, forward), flash and SRAM of the sketch, and the
    largest |difference| from shared/ of its features and probabilities."""
    from clapnet.shared import features, network
    sketch = prepare_sketch(model, folder)
    elf = build_avr(sketch, Path(folder) / "bench.elf", verbose=True, bench=True)
    flash, sram = avr_size(elf)
    stream = make_stream(windows, 12000)
    events = parse_events(run_simavr(harness, elf, stream), len(model["normalise"]["mean"]))
    ex = features.Features(model["features"], "numpy")
    net = network.Network(model)
    n = model["features"]["window"]
    cycles = []
    stages = []
    worst = 0.0
    for e in events:
        if e["status"] != "ok":
            continue
        cycles.append(e["cycles"])
        stages.append(e["stages"])
        f = ex.extract(stream[e["start"]:e["start"] + n].tolist(), 1 / FULL_SCALE)
        worst = max(worst, float(np.max(np.abs(e["features"] - f))),
                    float(np.max(np.abs(e["probabilities"] - net.forward(f)))))
    if len(cycles) != len(windows):
        raise ClapnetError("the firmware reported %d of %d windows" % (len(cycles), len(windows)))
    feature_cycles, forward_cycles = np.median(np.array(cycles), axis=0)
    return {"features": feature_cycles, "forward": forward_cycles,
            "stages": np.median(np.array(stages), axis=0), "flash": flash, "sram": sram,
            "stack": max(e["stack"] for e in events if "stack" in e), "max_diff": worst}


STAGES = ["load+zcr", "decay", "subframes+window", "fft", "magnitudes", "mel+dct",
          "centroid+flatness"]


def bench_command(args):
    from clapnet.shared import features
    from tqdm import tqdm
    windows = seed_windows(args.seed_dir)[:args.windows]
    models = []
    for preset in args.preset:
        models.append((preset, bench_model(features.preset(preset), windows)))
    for path in args.model or []:
        models.append((os.path.basename(path), load_model(path)))
    results = []
    with tempfile.TemporaryDirectory(prefix="clapnet-bench-avr-") as tmp:
        harness = build_harness(Path(tmp) / "harness")
        for i, (name, model) in enumerate(tqdm(models, desc="building and simulating",
                                               unit="model")):
            folder = Path(tmp) / ("m%d" % i)
            folder.mkdir()
            results.append((name, bench_one(model, windows, folder, harness)))
    ms = 1000.0 / F_CPU
    print("clapnet bench avr: the sketch on an ATmega2560 at 16 MHz in simavr, %d seed "
          "recordings; median cycles per window" % len(windows))
    header = "%-22s %9s %7s %8s %6s %8s %8s %7s %7s %10s" % (
        "model", "features", "ms", "forward", "ms", "total ms", "flash B", "SRAM B",
        "stack B", "max |diff|")
    print(header)
    print("-" * len(header))
    for name, r in results:
        print("%-22s %9d %7.1f %8d %6.1f %8.1f %8d %7d %7d %10.1e" % (
            name, r["features"], r["features"] * ms, r["forward"], r["forward"] * ms,
            (r["features"] + r["forward"]) * ms, r["flash"], r["sram"], r["stack"],
            r["max_diff"]))
    print("\nfeature stages, ms: " + ", ".join(STAGES))
    for name, r in results:
        print("%-22s %s" % (name, " ".join("%6.1f" % (c * ms) for c in r["stages"])))
    print("\nSRAM B: static data (.data + .bss) from avr-size; stack B: the deepest the "
          "stack went (bench build). max |diff|: features and probabilities vs shared/.")
    return 0


def add_bench_arguments(parser):
    parser.add_argument("--preset", action="append", choices=["default", "reference"],
                        help="feature preset(s) of random-weight 11-hidden-neuron models "
                             "(default: both)")
    parser.add_argument("--model", action="append",
                        help="also time this model file (e.g. one from `clapnet train`)")
    parser.add_argument("--windows", type=int, default=20,
                        help="seed recordings to run (default 20)")
    parser.add_argument("--seed-dir",
                        default=str(paths.seed_recordings() or "../shared/data/seed-recordings"),
                        help="folder with recordings.npz (default ../shared/data/seed-recordings)")
    parser.set_defaults(func=_bench_defaults)


def _bench_defaults(args):
    if not args.preset and not args.model:
        args.preset = ["default", "reference"]
    args.preset = args.preset or []
    return bench_command(args)
