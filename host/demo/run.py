"""`clapnet demo`: the whole loop without a board.

1. build a dataset from Debian's hydrogen-drumkits samples (clapnet/demo/data.py),
2. `clapnet train` on it,
3. write a test stream of held-out sounds separated by quiet noise,
4. start the emulated board (tools/board_emulator.py) with the stream on its ADC,
5. `clapnet push` the model to it and `clapnet run` the firmware (device/main.py),
6. compare the board's LED toggles with what was played, and with `clapnet
   detect` on the host (the same detector code, so the decisions must agree).

The commands it runs are printed as you would type them for a real board,
with the emulator's port in place of /dev/ttyUSB0.
"""
import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from clapnet.shared import detector

from .. import paths
from ..errors import ClapnetError
from ..modelfile import load_model
from . import data as demo_data


def clapnet(*args, capture=False):
    """Run a clapnet command in a child process, showing it as a user would type it."""
    print("\n$ clapnet %s" % " ".join(shlex.quote(str(a)) for a in args), flush=True)
    cmd = [sys.executable, "-m", "clapnet"] + [str(a) for a in args]
    if not capture:
        if subprocess.run(cmd).returncode != 0:
            raise ClapnetError("`clapnet %s` failed (see above)" % args[0])
        return ""
    lines = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            print("  " + line, end="", flush=True)
            lines.append(line)
    if proc.returncode != 0:
        raise ClapnetError("`clapnet %s` failed (see above)" % args[0])
    return "".join(lines)


def load_emulator():
    path = paths.tools() / "board_emulator.py"
    spec = importlib.util.spec_from_file_location("board_emulator", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toggled_takes(truth, toggles, total, rate):
    """For each take in the stream, whether the LED toggled while it played
    (from its start to the next take's start)."""
    bounds = [start for start, _, _ in truth] + [total + rate]
    result = []
    for i, (start, label, name) in enumerate(truth):
        hit = any(start <= t < bounds[i + 1] for t in toggles)
        result.append((label, name, hit))
    return result


def report(title, takes):
    claps = [hit for label, _, hit in takes if label == "clap"]
    others = [hit for label, _, hit in takes if label != "clap"]
    print("%s: LED toggled for %d of %d claps (%.0f%%) and %d of %d other sounds (%.0f%%)"
          % (title, sum(claps), len(claps), 100 * np.mean(claps) if claps else 0,
             sum(others), len(others), 100 * np.mean(others) if others else 0))


def run(workdir="clapnet-demo", claps=12, others=24, seed=0):
    """The demo, printing as it goes; returns 0 when board and host agree."""
    work = Path(workdir).resolve()
    data = work / "data"
    model_path = work / "model.json"
    stream_path = work / "stream.wav"
    flash = work / "board"
    led_log = work / "led.log"
    work.mkdir(parents=True, exist_ok=True)

    from clapnet.shared import features
    config = features.preset("default")
    if not (data / "train").is_dir():
        print("Building the demo dataset from Debian's hydrogen-drumkits into %s" % data)
        print("(studio drum samples, not your microphone: this demonstrates the workflow)")
        with tqdm(total=demo_data.group_count(), unit="instrument") as bar:
            counts = demo_data.build(data, config, seed=seed, progress=bar.update)
        print("training set: %(clap)d claps, %(other)d other sounds" % counts["train"])
        print("held out:     %(clap)d claps, %(other)d other sounds" % counts["holdout"])
    else:
        print("Reusing the demo dataset in %s" % data)

    clapnet("train", data / "train", "-o", model_path, "--seed", seed)
    model = load_model(str(model_path))
    rate = model["features"]["sample_rate"]

    samples, truth = demo_data.stream(data / "holdout", rate, claps, others,
                                      seed=seed)
    sf.write(str(stream_path), samples, rate, subtype="PCM_16")
    with open(work / "stream-truth.json", "w") as f:
        json.dump([{"start": s, "label": label, "file": name} for s, label, name in truth], f,
                  indent=1)
    print("\nTest stream %s: %d held-out sounds, %.1f s"
          % (stream_path, len(truth), len(samples) / rate))

    # what the board should do, computed on the host with the same detector
    played, _ = sf.read(str(stream_path), dtype="int16")
    events = detector.Detector(model, full_scale=32768).run(played.tolist())
    host_toggles = [e.start + model["features"]["window"] for e in events if e.toggle]

    emulator = load_emulator()
    if led_log.exists():
        led_log.unlink()
    print("\nStarting the emulated board (MicroPython unix port; flash in %s)" % flash)
    with emulator.BoardEmulator(flash, adc=str(stream_path), led_log=str(led_log)) as board:
        print("emulated board on %s (use your board's port, e.g. /dev/ttyUSB0, instead)"
              % board.port)
        clapnet("push", "--port", board.port, model_path)
        clapnet("run", "--port", board.port, capture=True)

    board_toggles = []
    if led_log.exists():
        board_toggles = [int(line.split()[0]) for line in led_log.read_text().split("\n")
                         if line.strip()]
    print()
    report("board (emulated)", toggled_takes(truth, board_toggles, len(samples), rate))
    report("host (clapnet detect logic)", toggled_takes(truth, host_toggles, len(samples), rate))
    agree = len(board_toggles) == len(host_toggles)
    print("board and host toggled the LED %d and %d times: %s"
          % (len(board_toggles), len(host_toggles), "they agree" if agree else "MISMATCH"))
    print("\nNext, with a real board: see README.md, 'From an empty board to a clap switch'.")
    return 0 if agree else 1
