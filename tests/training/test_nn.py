"""clapnet.nn: vectorised activations equal shared/activations.py, gradients
equal finite differences, initialisation follows Xavier/He, and the batch
forward pass equals the board's one-vector forward pass."""
import math

import numpy as np
import pytest

from clapnet.training import nn
from clapnet.modelfile import make_model
from clapnet.shared import activations, features, network

# values around every kink and clamp (0, +-3), tiny and huge ones
GRID = np.concatenate([np.linspace(-6, 6, 241), [-1000.0, -3.0, -1e-9, 0.0, 1e-9, 3.0, 1000.0],
                       np.random.default_rng(0).normal(0, 4, 200)])


def test_same_activation_names_as_the_board():
    assert set(nn.ACTIVATIONS) == set(activations.ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_vectorised_activations_equal_scalar_ones(name):
    f, df = nn.ACTIVATIONS[name]
    scalar_f, scalar_df = activations.ACTIVATIONS[name]
    expect_f = [scalar_f(float(z)) for z in GRID]
    expect_df = [scalar_df(float(z)) for z in GRID]
    assert np.allclose(f(GRID), expect_f, rtol=1e-13, atol=1e-15)
    assert np.allclose(df(GRID), expect_df, rtol=1e-12, atol=1e-15)


def test_softmax_rows_equal_scalar_softmax():
    a = np.random.default_rng(1).normal(0, 50, (20, 3))
    for row, p in zip(a, nn.softmax(a)):
        assert np.allclose(p, activations.softmax(list(row)), rtol=1e-12)


def _numeric_gradient(layers, x, y, loss, weights, l2, eps=1e-6):
    grads = []
    for _, W, b in layers:
        pair = []
        for param in (W, b):
            g = np.zeros_like(param)
            for i in np.ndindex(param.shape):
                keep = param[i]
                param[i] = keep + eps
                up, _ = nn.loss_and_gradients(layers, x, y, loss, weights, l2)
                param[i] = keep - eps
                down, _ = nn.loss_and_gradients(layers, x, y, loss, weights, l2)
                param[i] = keep
                g[i] = (up - down) / (2 * eps)
            pair.append(g)
        grads.append(pair)
    return grads


@pytest.mark.parametrize("loss", sorted(nn.LOSSES))
@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
def test_gradients_equal_finite_differences(activation, loss):
    rng = np.random.default_rng(7)
    # the activation under test in both hidden layers and at the output
    layers = nn.init_layers([4, 6, 5, 3], [activation] * 3, rng)
    layers = [(a, W, b + rng.normal(0, 0.3, b.shape)) for a, W, b in layers]
    x = rng.normal(0, 1, (9, 4))
    y = np.eye(3)[rng.integers(0, 3, 9)]
    weights = rng.uniform(0.5, 2.0, 9)
    value, grads = nn.loss_and_gradients(layers, x, y, loss, weights, l2=0.01)
    assert math.isfinite(value)
    numeric = _numeric_gradient(layers, x, y, loss, weights, 0.01)
    for (dW, db), (nW, nb) in zip(grads, numeric):
        assert np.allclose(dW, nW, rtol=1e-4, atol=1e-7)
        assert np.allclose(db, nb, rtol=1e-4, atol=1e-7)


def test_losses_are_zero_only_at_a_perfect_output():
    y = np.eye(2)[[0, 1]]
    loss, _ = nn.squared_error(y.copy(), y)
    assert np.all(loss == 0)
    near, _ = nn.cross_entropy(np.array([[30.0, -30.0], [-30.0, 30.0]]), y)
    far, _ = nn.cross_entropy(np.array([[-1.0, 1.0], [1.0, -1.0]]), y)
    assert np.all(near < 1e-20) and np.all(far > 1.0)


@pytest.mark.parametrize("activation,expect", [
    ("relu", lambda fan_in, fan_out: math.sqrt(2 / fan_in)),
    ("sigmoid", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    ("tanh", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
    ("fast_tanh", lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out))),
])
def test_init_uses_he_for_relu_and_xavier_otherwise(activation, expect):
    fan_in, fan_out = 300, 200
    (_, W, b), = nn.init_layers([fan_in, fan_out], [activation], np.random.default_rng(3))
    assert W.shape == (fan_out, fan_in) and np.all(b == 0)
    assert abs(W.std() / expect(fan_in, fan_out) - 1) < 0.02
    assert abs(W.mean()) < 0.01


def test_init_is_seeded():
    a = nn.init_layers([5, 4, 2], ["relu", "linear"], np.random.default_rng(11))
    b = nn.init_layers([5, 4, 2], ["relu", "linear"], np.random.default_rng(11))
    c = nn.init_layers([5, 4, 2], ["relu", "linear"], np.random.default_rng(12))
    assert all(np.array_equal(p[1], q[1]) for p, q in zip(a, b))
    assert not np.array_equal(a[0][1], c[0][1])


def test_init_rejects_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation"):
        nn.init_layers([3, 2], ["swish"], np.random.default_rng(0))


@pytest.mark.parametrize("acts", [("relu", "linear"), ("fast_tanh", "fast_tanh"),
                                  ("sigmoid", "tanh", "linear")])
def test_batch_forward_equals_the_boards_forward(acts):
    config = features.preset("default")
    n_in = len(features.feature_names(config))
    rng = np.random.default_rng(4)
    sizes = [n_in] + [7] * (len(acts) - 1) + [2]
    layers = nn.init_layers(sizes, list(acts), rng)
    layers = [(a, W, b + rng.normal(0, 0.5, b.shape)) for a, W, b in layers]
    model = make_model(["clap", "other"], config, np.zeros(n_in), np.ones(n_in), layers)
    net = network.Network(model)
    x = rng.normal(0, 2, (25, n_in))
    p = nn.predict_proba(layers, x)
    for row, probs in zip(x, p):
        assert np.allclose(net.forward(list(row)), probs, rtol=1e-12, atol=1e-15)
