"""Helpers shared by several test modules: models with random weights, and the
emulated board's tools (mpremote, clapnet, streams and datasets made of windows).
The `emulator` fixture itself lives in conftest.py."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from clapnet.modelfile import make_model, save_model
from clapnet.shared import features
from tests.conftest import ROOT, find_tool, need

sys.path.insert(0, str(ROOT / "tools"))
from board_emulator import BoardEmulator  # noqa: E402,F401  (for conftest)

RATE = 35750  # the seed recordings' rate (both feature presets use it)


def random_model(config, sizes, acts, seed=0):
    """A validated model with seeded random weights and normalisation."""
    rng = np.random.default_rng(seed)
    n_in = len(features.feature_names(config))
    layers = []
    width = n_in
    for size, act in zip(sizes, acts):
        layers.append((act, rng.normal(0, 1, (size, width)), rng.normal(0, 0.5, size)))
        width = size
    mean = rng.normal(0, 1, n_in)
    std = rng.uniform(0.5, 2, n_in)
    return make_model(["clap", "other"], config, mean, std, layers, threshold=0.5)


def random_model_file(path, hidden=4, seed=0):
    """A valid model file with random weights (for tests about files, not accuracy)."""
    model = random_model(features.preset("default"), [hidden, 2], ["relu", "linear"], seed)
    save_model(model, path)
    return path


# --- the emulated board ---------------------------------------------
def tool(name):
    path = find_tool(name)
    need(path is not None, "the %s command" % name)
    return path


def mpremote(port, *args, timeout=120):
    """The real mpremote CLI; returns its stdout, fails the test on an error."""
    result = subprocess.run([tool("mpremote"), "connect", port, *args],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def clapnet(*args, timeout=300, check=True):
    result = subprocess.run([tool("clapnet"), *args], capture_output=True, text=True,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def seed_windows(seed_dir):
    """Seed recordings as WAV int16 counts [229, 256] (raw ADC x 64) and labels."""
    data = np.load(seed_dir / "recordings.npz")
    return data["x"].astype(np.int32) * 64, data["y"].astype(int)


def write_stream(path, windows, gap=0.15, noise=100, seed=0):
    """Windows separated by `gap` seconds of quiet noise; returns each window's start."""
    rng = np.random.default_rng(seed)
    quiet = int(gap * RATE)
    pieces = [rng.normal(0, noise, quiet)]
    starts = []
    position = quiet
    for w in windows:
        starts.append(position)
        pieces += [w, rng.normal(0, noise, quiet)]
        position += len(w) + quiet
    samples = np.clip(np.round(np.concatenate(pieces)), -32768, 32767).astype(np.int16)
    sf.write(str(path), samples, RATE, subtype="PCM_16")
    return starts


def write_dataset(folder, windows, labels):
    """DATA/clap/*.wav and DATA/other/*.wav, one window per file, like the seed set."""
    for i, (w, y) in enumerate(zip(windows, labels)):
        label = "clap" if y == 1 else "other"
        (folder / label).mkdir(parents=True, exist_ok=True)
        sf.write(str(folder / label / ("%s-%03d.wav" % (label, i))), w.astype(np.int16), RATE,
                 subtype="PCM_16")


def train(data_dir, model_path):
    """A model trained on data_dir with `clapnet train`."""
    clapnet("train", str(data_dir), "-o", str(model_path), "--seed", "0", timeout=600)
    return model_path


def led_changes(board):
    """[(sample_index, state)] the emulated LED logged."""
    path = Path(board.led_log)
    if not path.exists():
        return []
    return [tuple(int(v) for v in line.split()) for line in path.read_text().splitlines()]


# --- synthetic recordings (for tests that must run on a fresh clone) ---------
def synthetic_sound(kind, rng, rate=RATE):
    """One synthetic take, floats in [-1, 1], 0.12 s: a quiet noise lead, then
    "clap": a broadband noise burst decaying within a few ms, or
    "other": a damped low tone (a knock, a thump) that rings for tens of ms.
    A stand-in with the shape of the real classes, not a recording."""
    n = int(0.12 * rate)
    t = np.arange(n - 600) / rate
    if kind == "clap":
        body = rng.normal(0, 1, len(t)) * np.exp(-t / rng.uniform(0.001, 0.003))
    else:
        f = rng.uniform(120, 900)
        body = np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3)) * np.exp(-t / rng.uniform(0.02, 0.06))
    body *= rng.uniform(0.75, 0.93) / np.max(np.abs(body))
    lead = np.zeros(600)
    take = np.concatenate([lead, body]) + rng.normal(0, 0.002, n)
    return np.clip(take, -0.97, 0.97)


def synthetic_dataset(folder, per_label=16, seed=0):
    """DATA/clap/*.wav and DATA/other/*.wav of synthetic takes (see synthetic_sound)."""
    rng = np.random.default_rng(seed)
    for label in ("clap", "other"):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_label):
            sf.write(str(folder / label / ("%s-%02d.wav" % (label, i))),
                     synthetic_sound(label, rng), RATE, subtype="PCM_16")
    return folder
