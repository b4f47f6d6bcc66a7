"""The unmodified shared/ package under a real MicroPython interpreter gives the
same features and probabilities as CPython on all 229 seed recordings."""
import json
import os
import subprocess

import numpy as np
import pytest

from clapnet.shared import features, network
from tests.conftest import ROOT
from tests.helpers import random_model


def run_micropython(micropython, *args, timeout=300):
    env = dict(os.environ, MICROPYPATH=str(ROOT))
    result = subprocess.run([micropython, str(ROOT / "tools" / "mp_features.py"), *args],
                            capture_output=True, text=True, env=env, timeout=timeout)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.fixture(scope="module")
def counts(seed_dir):
    # the WAV files' int16 values: raw ADC x 64
    raw = np.load(seed_dir / "recordings.npz")["x"].astype(np.int16)
    return raw * 64


@pytest.mark.parametrize("preset, acts", [("default", ["relu", "linear"]),
                                          ("reference", ["fast_tanh", "fast_tanh"])])
def test_micropython_matches_cpython_on_seed_recordings(micropython, counts, tmp_path,
                                                        preset, acts):
    model = random_model(features.preset(preset), [11, 2], acts, seed=4)
    model_path = tmp_path / "model.json"
    model_path.write_text(json.dumps(model))
    windows = tmp_path / "windows.bin"
    windows.write_bytes(counts.astype("<i2").tobytes())

    lines = run_micropython(micropython, str(model_path), str(windows), "values").splitlines()
    assert len(lines) == len(counts)
    mp_f = np.array([json.loads(line)[0] for line in lines])
    mp_p = np.array([json.loads(line)[1] for line in lines])

    ex = features.Features(model["features"], "numpy")
    net = network.Network(model)
    py_f = np.array([ex.extract(list(map(int, c)), 1 / 32768) for c in counts])
    py_p = np.array([net.forward(list(f)) for f in py_f])

    f_rel = np.abs(mp_f - py_f) / np.maximum(np.abs(py_f), 1.0)
    p_rel = np.abs(mp_p - py_p) / np.maximum(np.abs(py_p), 1e-3)
    print("%s: max |diff| features %.2g, probabilities %.2g; max rel %.2g / %.2g"
          % (preset, np.abs(mp_f - py_f).max(), np.abs(mp_p - py_p).max(),
             f_rel.max(), p_rel.max()))
    assert f_rel.max() <= 1e-6
    assert p_rel.max() <= 1e-6
    assert np.array_equal(mp_p.argmax(axis=1), py_p.argmax(axis=1))


def test_micropython_refuses_a_damaged_model(micropython, tmp_path):
    model = random_model(features.preset("default"), [11, 2], ["relu", "linear"])
    model["features"]["n_mels"] = 24  # no longer matches features_hash
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    env = dict(os.environ, MICROPYPATH=str(ROOT))
    result = subprocess.run([micropython, str(ROOT / "tools" / "mp_features.py"), str(path),
                             str(path), "values"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "features_hash does not match" in result.stdout + result.stderr
