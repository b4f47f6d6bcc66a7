"""The network in numpy, for training: whole batches at once.

The board runs shared/network.py one feature vector at a time; this module
computes the same thing for a batch of rows, plus the gradients.

Notation, per layer l (rows of a batch are samples):
    z[l] = a[l-1] @ W[l].T + b[l]      weighted input
    a[l] = f_l(z[l])                   activation (a[0] = standardised features)
    p    = softmax(a[L])               class probabilities (as on the board)
    delta[l] = dLoss / dz[l]           error signal, propagated backwards:
    delta[l-1] = (delta[l] @ W[l]) * f'_{l-1}(z[l-1])

A layer is a tuple (activation_name, W[neurons, inputs], b[neurons]), the
same shape as clapnet.modelfile.make_model takes.
"""
import numpy as np

# --- activations: vectorised twins of shared/activations.py ------------------


def sigmoid(z):
    # exp of a non-positive number only, so it never overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def relu(z):
    return np.where(z > 0, z, 0.0)


def relu_derivative(z):
    return np.where(z > 0, 1.0, 0.0)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    t = np.tanh(z)
    return 1.0 - t * t


def fast_tanh(z):
    # x(27+x^2)/(27+9x^2), clamped to +-1 beyond |x| = 3 (see shared/activations.py)
    z2 = z * z
    inside = z * (27.0 + z2) / (27.0 + 9.0 * z2)
    return np.where(z >= 3.0, 1.0, np.where(z <= -3.0, -1.0, inside))


def fast_tanh_derivative(z):
    z2 = z * z
    inside = (z2 - 9.0) ** 2 / (9.0 * (3.0 + z2) ** 2)
    return np.where(np.abs(z) >= 3.0, 0.0, inside)


def linear(z):
    return z


def linear_derivative(z):
    return np.ones_like(z)


# same keys as shared.activations.ACTIVATIONS
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "relu": (relu, relu_derivative),
    "tanh": (tanh, tanh_derivative),
    "fast_tanh": (fast_tanh, fast_tanh_derivative),
    "linear": (linear, linear_derivative),
}


def softmax(a):
    """Row-wise softmax; subtracting the row max keeps exp() in range."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --- losses on the output layer's activations a[L] ----------------------------
# Each returns (per-sample loss, dLoss/da[L]) for targets y (one-hot rows).


def cross_entropy(a, y):
    """-sum(y log softmax(a)): the usual loss for a softmax classifier."""
    p = softmax(a)
    loss = -np.sum(y * np.log(np.maximum(p, 1e-300)), axis=1)
    return loss, p - y


def squared_error(a, y):
    """0.5 sum((a - y)^2) on the activations before softmax: the reference
    design's loss (it applies softmax only when classifying)."""
    diff = a - y
    return 0.5 * np.sum(diff * diff, axis=1), diff


LOSSES = {"cross_entropy": cross_entropy, "squared_error": squared_error}


# --- initialisation -------------------------------------------------------


def init_layers(sizes, activations, rng):
    """Random layers for widths sizes = [inputs, hidden..., outputs].

    He initialisation (std sqrt(2/fan_in)) for ReLU layers, Xavier (std
    sqrt(2/(fan_in + fan_out))) for sigmoid/tanh-like ones; biases start at 0.
    """
    if len(activations) != len(sizes) - 1:
        raise ValueError("need one activation per layer: %d layers, %d activations"
                         % (len(sizes) - 1, len(activations)))
    layers = []
    for fan_in, fan_out, act in zip(sizes[:-1], sizes[1:], activations):
        if act not in ACTIVATIONS:
            raise ValueError("unknown activation %r (known: %s)"
                             % (act, ", ".join(sorted(ACTIVATIONS))))
        if act == "relu":
            std = np.sqrt(2.0 / fan_in)
        else:
            std = np.sqrt(2.0 / (fan_in + fan_out))
        layers.append((act, rng.normal(0.0, std, (fan_out, fan_in)), np.zeros(fan_out)))
    return layers


# --- forward and backward -------------------------------------------------


def forward(layers, x):
    """All z and a for a batch x [samples, inputs]: returns (zs, activations),
    where activations[0] is x and activations[-1] is a[L] (before softmax)."""
    zs = []
    acts = [x]
    a = x
    for name, W, b in layers:
        z = a @ W.T + b
        a = ACTIVATIONS[name][0](z)
        zs.append(z)
        acts.append(a)
    return zs, acts


def predict_proba(layers, x):
    """Class probabilities for a batch, as shared.network.Network.forward gives per row."""
    return softmax(forward(layers, x)[1][-1])


def loss_and_gradients(layers, x, y, loss="cross_entropy", sample_weight=None, l2=0.0):
    """Weighted mean loss over the batch (+ L2 penalty) and its gradients.

    y: one-hot targets [samples, outputs]. sample_weight: per-sample weights
    (class weights), default all 1. l2: penalty 0.5 * l2 * sum(W^2) over all
    weights (not biases). Returns (loss, [(dW, db) per layer]).
    """
    n = len(x)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    w = w / w.sum()
    zs, acts = forward(layers, x)
    per_sample, dloss_da = LOSSES[loss](acts[-1], y)
    total = float(per_sample @ w)
    grads = []
    delta = dloss_da * ACTIVATIONS[layers[-1][0]][1](zs[-1]) * w[:, None]
    for l in range(len(layers) - 1, -1, -1):
        W = layers[l][1]
        grads.append((delta.T @ acts[l] + l2 * W, delta.sum(axis=0)))
        total += 0.5 * l2 * float(np.sum(W * W))
        if l > 0:
            delta = (delta @ W) * ACTIVATIONS[layers[l - 1][0]][1](zs[l - 1])
    grads.reverse()
    return total, grads
