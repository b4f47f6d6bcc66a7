"""Benchmark: the firmware's detection step on the MicroPython unix port.

    python tools/bench_firmware.py [--repeat 3]

For each feature preset and for shared/ as plain .py and as .mpy (mpy-cross),
runs tools/emulator_bench/detect_bench.py under the `micropython` command on
the 229 seed recordings and prints a table: import time, time and heap
allocation per window (trigger + features + network + decision, pure-Python
FFT), and the trigger's cost per quiet sample.

These are DESKTOP figures (x86-64, double-precision floats). An ESP32 runs
the same bytecode tens of times slower; run device/main.py on the board for
real numbers.
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clapnet import micropython as clapnet_micropython  # noqa: E402
from clapnet.board.push import compile_mpy  # noqa: E402
from clapnet.errors import ClapnetError  # noqa: E402
from clapnet.modelfile import make_model, save_model  # noqa: E402
from clapnet.shared import features  # noqa: E402

SEED = ROOT.parent / "shared" / "data" / "seed-recordings" / "recordings.npz"
SCRIPT = ROOT / "tools" / "emulator_bench" / "detect_bench.py"
# network shapes like `clapnet train`'s defaults for each protocol
SHAPES = {"default": (32, "relu", "linear"), "reference": (11, "fast_tanh", "fast_tanh")}


def bench_model(preset, path):
    hidden, act, out_act = SHAPES[preset]
    config = features.preset(preset)
    n = len(features.feature_names(config))
    rng = np.random.default_rng(0)
    # random weights: the time and heap of a forward pass do not depend on them
    model = make_model(["clap", "other"], config, np.zeros(n), np.ones(n),
                       [(act, rng.normal(size=(hidden, n)) * 0.3, np.zeros(hidden)),
                        (out_act, rng.normal(size=(2, hidden)) * 0.3, np.zeros(2))])
    save_model(model, path)
    return "%d-%d-2 %s" % (n, hidden, act)


def prepare(folder, mpy):
    (folder / "shared").mkdir(parents=True)
    for src in sorted((ROOT / "shared").glob("*.py")):
        if mpy and src.name != "__init__.py":
            (folder / "shared" / (src.stem + ".mpy")).write_bytes(compile_mpy(src))
        else:
            shutil.copy(src, folder / "shared" / src.name)
    shutil.copy(SCRIPT, folder / SCRIPT.name)


def run(micropython, folder, windows):
    result = subprocess.run([micropython, SCRIPT.name, str(windows)], cwd=folder,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SystemExit("micropython failed:\n%s%s" % (result.stdout, result.stderr))
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per row; the fastest is shown (default 3)")
    args = parser.parse_args(argv)
    try:
        micropython = clapnet_micropython.command()
    except ClapnetError as e:
        raise SystemExit(str(e))
    if not SEED.exists():
        raise SystemExit("seed recordings not found at %s" % SEED)
    counts = (np.load(SEED)["x"].astype(np.int16) * 64).astype("<i2")

    rows = []
    with tempfile.TemporaryDirectory(prefix="clapnet-bench-") as tmp:
        tmp = Path(tmp)
        windows = tmp / "windows.bin"
        counts.tofile(windows)
        for preset in SHAPES:
            for mpy in (False, True):
                folder = tmp / ("%s-%s" % (preset, "mpy" if mpy else "py"))
                prepare(folder, mpy)
                shape = bench_model(preset, folder / "model.json")
                best = min((run(micropython, folder, windows) for _ in range(args.repeat)),
                           key=lambda r: r["window_us_mean"])
                rows.append((preset, shape, ".mpy" if mpy else ".py", best))

    print("Firmware detection step on the MicroPython unix port: DESKTOP figures")
    print("(x86-64, double floats, pure-Python FFT; an ESP32 is far slower: measure there)")
    print("%d seed windows of %d samples; best of %d runs\n"
          % (len(counts), counts.shape[1], args.repeat))
    print("| preset    | network           | code | import ms | window ms mean | window ms max "
          "| heap B/window | trigger us/sample |")
    print("|-----------|-------------------|------|-----------|----------------|---------------"
          "|---------------|-------------------|")
    for preset, shape, code, r in rows:
        print("| %-9s | %-17s | %-4s | %9.1f | %14.2f | %13.2f | %13.0f | %17.3f |"
              % (preset, shape, code, r["import_us"] / 1000, r["window_us_mean"] / 1000,
                 r["window_us_max"] / 1000, r["heap_bytes_mean"], r["quiet_us_per_sample"]))


if __name__ == "__main__":
    main()
