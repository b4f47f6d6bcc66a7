"""shared/network.py and shared/activations.py: forward pass against numpy,
model validation with clear messages."""
import copy
import json
import math

import numpy as np
import pytest

from clapnet.modelfile import save_model
from clapnet.shared import activations, features, network
from tests.helpers import random_model


NUMPY_ACT = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "fast_tanh": lambda z: np.where(np.abs(z) >= 3, np.sign(z),
                                    z * (27 + z * z) / (27 + 9 * z * z)),
    "linear": lambda z: z,
}


@pytest.mark.parametrize("acts", [("fast_tanh", "fast_tanh"), ("relu", "linear"),
                                  ("sigmoid", "tanh", "linear"), ("tanh", "sigmoid")])
def test_forward_matches_numpy(acts):
    config = features.preset("default")
    sizes = [9, 7, 2][-len(acts):] if len(acts) == 3 else [11, 2]
    model = random_model(config, sizes, acts)
    net = network.Network(model)
    rng = np.random.default_rng(5)
    for _ in range(20):
        f = rng.normal(0, 2, len(model["normalise"]["mean"]))
        a = (f - model["normalise"]["mean"]) / np.array(model["normalise"]["std"])
        for layer in model["layers"]:
            a = NUMPY_ACT[layer["activation"]](np.array(layer["weights"]) @ a + layer["biases"])
        expect = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
        assert np.allclose(net.forward(list(f)), expect, rtol=1e-12, atol=1e-15)


def test_softmax_is_stable_for_huge_inputs():
    p = activations.softmax([1000.0, 999.0, -1000.0])
    assert math.isclose(sum(p), 1.0) and p[0] > p[1] > p[2] >= 0.0


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name):
    f, df = activations.ACTIVATIONS[name]
    for x in np.linspace(-4.1, 4.1, 37):
        if name == "relu" and abs(x) < 1e-3:
            continue
        h = 1e-6
        assert df(x) == pytest.approx((f(x + h) - f(x - h)) / (2 * h), abs=1e-6)


def test_fast_tanh_is_continuous_and_bounded():
    assert activations.fast_tanh(3.0) == 1.0
    assert activations.fast_tanh(2.999999) == pytest.approx(1.0, abs=1e-9)
    assert activations.fast_tanh(-50.0) == -1.0
    assert abs(activations.fast_tanh(1.0) - math.tanh(1.0)) < 0.03


def test_sigmoid_does_not_overflow():
    assert activations.sigmoid(-1000.0) == 0.0
    assert activations.sigmoid(1000.0) == 1.0


def broken(model, path, value):
    m = copy.deepcopy(model)
    target = m
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return m


@pytest.mark.parametrize("path, value, message", [
    (("format",), "other", "not a clapnet model"),
    (("version",), 7, "format version"),
    (("layers", 0, "activation"), "swish", "unknown activation 'swish'"),
    (("layers", 0, "biases"), [0.0] * 3, "weight rows but 3 biases"),
    (("layers", 1, "weights"), [[0.0] * 4] * 2, "expected 11"),
    (("layers", 0, "biases", 2), float("nan"), "not a finite number"),
    (("normalise", "std", 0), 0.0, "positive"),
    (("normalise", "mean"), [0.0], "normalise.mean has 1 values"),
    (("labels",), ["clap", "other", "dog"], "2 outputs but there are 3 labels"),
    (("threshold",), 1.5, "threshold"),
    (("features", "n_mels"), 22, "features_hash does not match"),
    (("features", "window"), 100, "power of two"),
])
def test_invalid_models_are_refused_with_a_named_problem(path, value, message):
    model = random_model(features.preset("default"), [11, 2], ["fast_tanh", "fast_tanh"])
    with pytest.raises(network.ModelError, match=message):
        network.validate(broken(model, path, value))


def test_model_file_round_trip_and_bad_json(tmp_path):
    model = random_model(features.preset("reference"), [11, 2], ["fast_tanh", "fast_tanh"])
    path = tmp_path / "model.json"
    save_model(model, path)
    again = network.load(str(path))
    f = [0.3] * 15
    assert network.Network(again).forward(f) == network.Network(model).forward(f)
    path.write_text(path.read_text()[:100])
    with pytest.raises(network.ModelError, match="not valid JSON"):
        network.load(str(path))


def test_failed_save_keeps_the_previous_model(tmp_path):
    model = random_model(features.preset("default"), [11, 2], ["relu", "linear"])
    path = tmp_path / "model.json"
    save_model(model, path)
    before = path.read_bytes()
    bad = broken(model, ("layers", 0, "activation"), "nope")
    with pytest.raises(network.ModelError):
        save_model(bad, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    assert json.loads(before)["features_hash"] == features.config_hash(model["features"])
