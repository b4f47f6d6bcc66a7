"""The AVR (Arduino Mega 2560) target: `clapnet export-header` and `clapnet bench avr`,
plus the build-and-run helpers the tests and the benchmark share.

    model.json --export-header--> model.h + device/avr/clapnet/*.h
        --g++-->      tools/avr/host_detect.cpp: the library on the host
        --avr-g++-->  clapnet.ino for the atmega2560, run in simavr by
                      tools/avr/harness.c with samples injected into ADC0
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from . import export_header
from .errors import ClapnetError
from .modelfile import load_model

ROOT = Path(__file__).resolve().parent.parent
SKETCH = ROOT / "device" / "avr" / "clapnet"
TOOLS = ROOT / "tools" / "avr"

F_CPU = 16000000
ADC_MID = 511  # the sketch's adc_mid: ADC count of silence
FULL_SCALE = 512  # the sketch's full_scale: centred counts of 1.0

AVR_FLAGS = ["-Os", "-mmcu=atmega2560", "-DF_CPU=%dUL" % F_CPU, "-std=gnu++11",
             "-Wall", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"]


# --- export-header -------------------------------------------------------

def export_command(args):
    model = load_model(args.model)
    output = os.path.abspath(args.output)
    if os.path.abspath(args.model) == output:
        raise ClapnetError("-o %s would overwrite the model file: choose a .h path" % args.output)
    export_header.export(model, output, args.format, os.path.basename(args.model),
                         export_header.file_sha256(args.model))
    print("wrote %s (%s format)" % (args.output, args.format))
    return 0


# --- building ------------------------------------------------------------

def tool(name, package):
    path = shutil.which(name)
    if path is None:
        raise ClapnetError("%s is missing: install %s (bash tools/setup does)" % (name, package))
    return path


def run_tool(command, what, timeout=600):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise ClapnetError("%s failed:\n%s%s" % (what, result.stdout, result.stderr))
    return result


def prepare_sketch(model, folder):
    """A copy of device/avr/clapnet in folder/clapnet with model.h for `model`."""
    sketch = Path(folder) / "clapnet"
    shutil.copytree(SKETCH, sketch, dirs_exist_ok=True)
    export_header.export(model, sketch / "model.h", "clapnet")
    return sketch


def build_host(sketch, output):
    """tools/avr/host_detect.cpp against the sketch's library and model.h."""
    run_tool([tool("g++", "g++"), "-O2", "-std=gnu++11", "-Wall", "-I", sketch,
              TOOLS / "host_detect.cpp", "-o", output], "g++ build of host_detect")
    return Path(output)


def build_avr(sketch, output, verbose=True, bench=False):
    """The sketch as an atmega2560 ELF, built with avr-gcc alone (no Arduino core)."""
    defines = ["-DCLAPNET_VERBOSE=%d" % verbose, "-DCLAPNET_BENCH=%d" % bench]
    run_tool([tool("avr-g++", "gcc-avr avr-libc")] + AVR_FLAGS + defines +
             ["-x", "c++", Path(sketch) / "clapnet.ino", "-o", output],
             "avr-g++ build of the sketch")
    return Path(output)


def build_arduino(sketch, build_dir, verbose=True):
    """The sketch built with the Arduino core (Debian's arduino-core-avr) by
    arduino-builder; returns the ELF. DECIMAL_DIG=9 lets gcc-avr 5.4 compile
    the core's WString.cpp."""
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    flags = "-DDECIMAL_DIG=9 -DCLAPNET_VERBOSE=%d" % verbose
    run_tool([tool("arduino-builder", "arduino-builder arduino-core-avr"),
              "-hardware", "/usr/share/arduino/hardware", "-hardware", "/usr/share/arduino-builder",
              "-tools", "/usr/share/arduino-builder", "-fqbn", "arduino:avr:mega:cpu=atmega2560",
              "-build-path", build_dir, "-prefs=compiler.cpp.extra_flags=" + flags,
              Path(sketch) / "clapnet.ino"], "arduino-builder build of the sketch")
    return build_dir / "clapnet.ino.elf"


def build_harness(output):
    """tools/avr/harness.c linked with libsimavr."""
    flags = run_tool([tool("pkg-config", "pkg-config"), "--cflags", "--libs", "simavr"],
                     "pkg-config simavr (install libsimavr-dev)").stdout.split()
    run_tool([tool("gcc", "gcc"), "-O2", "-Wall", TOOLS / "harness.c"] + flags +
             ["-lelf", "-o", output], "gcc build of the simavr harness")
    return Path(output)


def avr_size(elf):
    """(flash bytes, static SRAM bytes) from avr-size's section table."""
    out = run_tool([tool("avr-size", "binutils-avr"), "-A", elf], "avr-size").stdout
    sections = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    flash = sections.get(".text", 0) + sections.get(".data", 0)
    sram = sections.get(".data", 0) + sections.get(".bss", 0) + sections.get(".noinit", 0)
    return flash, sram


# --- running -------------------------------------------------------------

def make_stream(windows, gap):
    """Recordings (centred int counts, one per row) laid end to end, each after
    `gap` samples of silence, with silence at the end: a stream the trigger
    cuts back into the same windows."""
    windows = np.asarray(windows, dtype=np.int16)
    silence = np.zeros(gap, dtype=np.int16)
    parts = []
    for w in windows:
        parts += [silence, w]
    parts.append(silence)
    return np.concatenate(parts)


def run_host(binary, stream, double_clap_gap=0):
    result = subprocess.run([str(binary), str(FULL_SCALE), str(double_clap_gap)],
                            input=np.asarray(stream, dtype="<i2").tobytes(),
                            capture_output=True, timeout=600)
    if result.returncode != 0:
        raise ClapnetError("host_detect failed: %s" % result.stderr.decode(errors="replace"))
    return result.stdout.decode()


def run_simavr(harness, elf, stream, tail=0.5):
    """UART output of the firmware fed with `stream` (centred counts) on ADC0."""
    with tempfile.TemporaryDirectory(prefix="clapnet-avr-") as tmp:
        samples = Path(tmp) / "samples.bin"
        counts = np.asarray(stream, dtype=np.int32) + ADC_MID
        if counts.min() < 0 or counts.max() > 1023:
            raise ClapnetError("samples outside the 10-bit ADC range")
        samples.write_bytes(counts.astype("<u2").tobytes())
        result = subprocess.run([str(harness), str(elf), str(samples), str(tail)],
                                capture_output=True, timeout=1800)
    if result.returncode != 0:
        raise ClapnetError("simavr run failed: %s" % result.stderr.decode(errors="replace"))
    return result.stdout.decode(errors="replace")


def bits_to_floats(words):
    return np.array([int(w, 16) for w in words], dtype=np.uint32).view(np.float32)


def parse_events(text, feature_count):
    """Events printed by the sketch (CLAPNET_VERBOSE=1) or host_detect:
    dicts with start, status ("ok"/"overload"), features, probabilities,
    clap, toggle and, with CLAPNET_BENCH, cycles (features, forward) and
    stages (cycles of each stage of the features, see clapnet.ino) and stack
    (deepest stack so far, bytes)."""
    events = []
    missed = 0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "F":
            values = bits_to_floats(parts[2:])
            events.append({"start": int(parts[1]), "status": "ok",
                           "features": values[:feature_count],
                           "probabilities": values[feature_count:]})
        elif parts[0] == "B":
            events[-1]["cycles"] = (int(parts[1]), int(parts[2]))
            events[-1]["stages"] = [int(v) for v in parts[3:]]
        elif parts[0] == "S":
            events[-1]["stack"] = int(parts[1])
        elif parts[0] in ("clap", "other"):
            events[-1]["clap"] = parts[0] == "clap"
            events[-1]["toggle"] = "led=" in line
        elif parts[0] == "overload":
            start = int(re.search(r"start=(\d+)", line).group(1))
            events.append({"start": start, "status": "overload"})
        elif parts[0] == "missed":
            missed = int(parts[1])
    if missed:
        raise ClapnetError("the firmware dropped %d windows: it was still busy with the "
                           "previous one (leave longer gaps between recordings)" % missed)
    return sorted(events, key=lambda e: e["start"])


# --- benchmark -----------------------------------------------------------

def seed_windows(seed_dir):
    path = Path(seed_dir) / "recordings.npz"
    if not path.exists():
        raise ClapnetError("%s not found: pass --seed-dir with the seed recordings" % path)
    data = np.load(path)
    return data["x"].astype(np.int16)


def bench_model(config, windows, hidden=11, seed=0):
    """A features-11-2 FastTanh network with random weights, normalised on `windows`:
    the cycle counts do not depend on the weights."""
    from shared import features
    from .modelfile import make_model
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
    from shared import features, network
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
    from shared import features
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
                        default=str(ROOT.parent / "shared" / "data" / "seed-recordings"),
                        help="folder with recordings.npz (default ../shared/data/seed-recordings)")
    parser.set_defaults(func=_bench_defaults)


def _bench_defaults(args):
    if not args.preset and not args.model:
        args.preset = ["default", "reference"]
    args.preset = args.preset or []
    return bench_command(args)


def add_commands(sub):
    p = sub.add_parser(
        "export-header",
        help="write the C++ header of a model for the AVR (Arduino Mega) sketch",
        description="Generate a C++ header from a model file: the network (hexfloat "
                    "literals that round-trip float32), the normalisation and every "
                    "table the features need (window function, sparse mel filters, DCT, "
                    "FFT twiddles) in PROGMEM. With --format clapnet (default) it is the "
                    "model.h of device/avr/clapnet; with --format lightweight it is the "
                    "model for the reference design's neuralNetworkLayer_t template.",
        epilog="example: clapnet export-header model.json -o device/avr/clapnet/model.h")
    p.add_argument("model", help="model file (JSON) from `clapnet train`")
    p.add_argument("-o", "--output", required=True, help="header to write, e.g. model.h")
    p.add_argument("--format", choices=export_header.FORMATS, default="clapnet",
                   help="clapnet: model.h for device/avr/clapnet (default); lightweight: "
                        "typedef neuralNetwork_t + union n for the reference sketch")
    p.set_defaults(func=export_command)

    from .commands_train import bench_subparsers
    p = bench_subparsers(sub).add_parser(
        "avr", help="AVR sketch: cycles per window in simavr, flash and SRAM",
        description="Build the Arduino Mega sketch with avr-gcc for each model, run it in "
                    "simavr on seed recordings injected into the ADC, and print the median "
                    "cycles per window for the features and for the network, the time at "
                    "16 MHz, flash and SRAM from avr-size, and the largest difference from "
                    "shared/ (Python) in features and probabilities.")
    add_bench_arguments(p)
