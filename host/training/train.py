"""Training: feature rows + labels -> network layers -> model dict.

    fit(features, targets, n_classes, options)   the numpy training loop
    train_model(features, targets, labels, feature_config, options)
                                                 the same, returning a model
                                                 dict ready for save_model

Options (dict, every key optional; `DEFAULT` is clapnet's pipeline, `REFERENCE`
the reference design's protocol):
    hidden             widths of the hidden layers, e.g. [16] or [15, 11]
    activation         hidden layers' activation (sigmoid, relu, tanh, fast_tanh)
    output_activation  the last layer's activation before softmax (linear = plain softmax)
    loss               cross_entropy or squared_error (the reference's)
    optimiser          sgd (plain, with batch_size 1 = per-sample SGD), momentum, adam
    lr, momentum       step size; momentum factor for the momentum optimiser
    batch_size         samples per step (0 = the whole training set)
    epochs, patience   at most `epochs` passes; stop a restart after `patience`
                       epochs without a better validation loss (0 = never)
    restarts           random initialisations tried; the one with the lowest
                       validation loss is kept
    validation         fraction of the training recordings held out to pick
                       restarts and stop early (0 = use the training loss)
    l2                 weight penalty 0.5 * l2 * sum(W^2)
    noise              std of Gaussian noise added to the standardised
                       training features at every step (a regulariser)
    class_weight       "balanced" (each class counts equally) or None
    seed               same seed + same data -> identical model

Feature standardisation (mean, std) is fitted on the rows the network is
trained on, never on validation or test rows, and goes into the model file.
"""
import numpy as np

from . import nn
from ..modelfile import make_model

# Chosen with repeated 10-fold CV on the seed recordings (`clapnet bench
# train`): with ~200 windows, holding out a validation split for restarts and
# early stopping cost more accuracy than it bought, while input noise (a
# smoothness prior, much like an SVM's) and a 32-wide layer helped most.
DEFAULT = {
    "hidden": [32],
    "activation": "relu",
    "output_activation": "linear",
    "loss": "cross_entropy",
    "optimiser": "adam",
    "lr": 0.005,
    "momentum": 0.9,
    "batch_size": 0,
    "epochs": 1000,
    "patience": 0,
    "restarts": 1,
    "validation": 0.0,
    "l2": 1e-3,
    "noise": 0.3,
    "class_weight": "balanced",
    "seed": 0,
}

# The reference design: 15-11-2 FastTanh, squared error, per-sample SGD at lr
# 0.01, restarts chosen on validation. Its own runs do 10 x 50,000 epochs;
# `epochs` here is what fits in a reasonable time.
REFERENCE = dict(DEFAULT)
REFERENCE.update({
    "hidden": [11],
    "activation": "fast_tanh",
    "output_activation": "fast_tanh",
    "loss": "squared_error",
    "optimiser": "sgd",
    "lr": 0.01,
    "batch_size": 1,
    "epochs": 100,
    "patience": 0,
    "restarts": 3,
    "validation": 0.2,
    "l2": 0.0,
    "noise": 0.0,
    "class_weight": None,
})

OPTIMISERS = ("sgd", "momentum", "adam")


def options_with_defaults(options=None, base=DEFAULT):
    """base updated with options; raises ValueError naming a bad option."""
    merged = dict(base)
    for key, value in (options or {}).items():
        if key not in base:
            raise ValueError("unknown training option %r (known: %s)"
                             % (key, ", ".join(sorted(base))))
        merged[key] = value
    if merged["optimiser"] not in OPTIMISERS:
        raise ValueError("optimiser must be one of %s" % ", ".join(OPTIMISERS))
    if merged["loss"] not in nn.LOSSES:
        raise ValueError("loss must be one of %s" % ", ".join(sorted(nn.LOSSES)))
    for key in ("activation", "output_activation"):
        if merged[key] not in nn.ACTIVATIONS:
            raise ValueError("%s must be one of %s" % (key, ", ".join(sorted(nn.ACTIVATIONS))))
    if merged["class_weight"] not in ("balanced", None):
        raise ValueError("class_weight must be 'balanced' or None")
    if not all(int(h) >= 1 for h in merged["hidden"]):
        raise ValueError("hidden layer widths must be at least 1")
    if not 0.0 <= merged["validation"] < 1.0:
        raise ValueError("validation must be a fraction in [0, 1)")
    if merged["lr"] <= 0 or merged["epochs"] < 1 or merged["restarts"] < 1:
        raise ValueError("need lr > 0, epochs >= 1 and restarts >= 1")
    return merged


def standardiser(features):
    """Mean and std per feature; a constant feature gets std 1 (it carries no
    information, and dividing by ~0 would blow up on new data)."""
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    return mean, np.where(std > 1e-12, std, 1.0)


def class_weights(targets, n_classes, mode):
    """Per-sample weights: "balanced" makes each class weigh as much in total."""
    if mode is None:
        return np.ones(len(targets))
    counts = np.bincount(targets, minlength=n_classes).astype(float)
    per_class = len(targets) / (n_classes * np.maximum(counts, 1.0))
    return per_class[targets]


def validation_split(targets, groups, fraction, rng):
    """(train rows, validation rows): about `fraction` of each class's
    recordings go to validation, all windows of a recording on one side."""
    rows = np.arange(len(targets))
    if fraction <= 0:
        return rows, rows[:0]
    held = np.zeros(len(targets), bool)
    for label in np.unique(targets):
        label_groups = np.unique(groups[targets == label])
        rng.shuffle(label_groups)
        count = int(round(fraction * len(label_groups)))
        if 0 < count < len(label_groups):
            held |= np.isin(groups, label_groups[:count]) & (targets == label)
    return rows[~held], rows[held]


class SGD:
    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g


class Momentum:
    def __init__(self, lr, momentum):
        self.lr = lr
        self.momentum = momentum
        self.velocity = None

    def step(self, params, grads):
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.momentum
            v -= self.lr * g
            p += v


class Adam:
    """Adam (Kingma & Ba) with the usual beta1 0.9, beta2 0.999."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = self.v = None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correction = np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * correction * m / (np.sqrt(v) + self.eps)


def make_optimiser(o):
    if o["optimiser"] == "adam":
        return Adam(o["lr"])
    if o["optimiser"] == "momentum":
        return Momentum(o["lr"], o["momentum"])
    return SGD(o["lr"])


class FitResult:
    """What fit() returns: the kept layers, the standardisation, and history."""

    def __init__(self, layers, mean, std, options, history, best_restart, samples):
        self.samples = samples  # rows given to fit()
        self.layers = layers  # [(activation, W, b)] of the kept restart
        self.mean = mean
        self.std = std
        self.options = options
        self.history = history  # per restart: {"train_loss": [...], "val_loss": [...]}
        self.best_restart = best_restart

    def predict_proba(self, features):
        return nn.predict_proba(self.layers, (features - self.mean) / self.std)


def _train_one(layers, x, y, weights, x_val, y_val, w_val, o, rng):
    """One restart: train in place, return (best layers, history, best score)."""
    params = [p for _, W, b in layers for p in (W, b)]
    optimiser = make_optimiser(o)
    n = len(x)
    batch = o["batch_size"] if o["batch_size"] > 0 else n
    history = {"train_loss": [], "val_loss": []}
    best = (np.inf, None)
    since_best = 0
    for _ in range(o["epochs"]):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            batch_x = x[rows]
            if o["noise"]:
                batch_x = batch_x + rng.normal(0.0, o["noise"], batch_x.shape)
            _, grads = nn.loss_and_gradients(layers, batch_x, y[rows], o["loss"],
                                             weights[rows], o["l2"])
            optimiser.step(params, [g for pair in grads for g in pair])
        score = _loss(layers, x, y, weights, o["loss"])
        history["train_loss"].append(score)
        if len(x_val):
            score = _loss(layers, x_val, y_val, w_val, o["loss"])
            history["val_loss"].append(score)
        # keep the epoch with the lowest validation loss (training loss without validation)
        if score < best[0]:
            best = (score, [(a, W.copy(), b.copy()) for a, W, b in layers])
            since_best = 0
        else:
            since_best += 1
            if o["patience"] and since_best >= o["patience"]:
                break
    return best[1], history, best[0]


def _loss(layers, x, y, weights, loss):
    per_sample, _ = nn.LOSSES[loss](nn.forward(layers, x)[1][-1], y)
    return float(per_sample @ weights / weights.sum())


def fit(features, targets, n_classes, options=None, groups=None, progress=None):
    """Train a network on feature rows.

    features: [samples, n_features] floats; targets: class index per row;
    groups: recording id per row (windows of one recording stay together in
    the validation split; default: every row its own recording).
    progress: optional callable(done_restarts, total) for progress bars.
    Returns a FitResult.
    """
    o = options_with_defaults(options)
    features = np.asarray(features, dtype=float)
    targets = np.asarray(targets, dtype=int)
    groups = np.arange(len(targets)) if groups is None else np.asarray(groups)
    rng = np.random.default_rng(o["seed"])
    train_rows, val_rows = validation_split(targets, groups, o["validation"], rng)
    mean, std = standardiser(features[train_rows])
    x_all = (features - mean) / std
    y_all = np.eye(n_classes)[targets]
    w_all = class_weights(targets, n_classes, o["class_weight"])
    x, y, w = x_all[train_rows], y_all[train_rows], w_all[train_rows]
    x_val, y_val, w_val = x_all[val_rows], y_all[val_rows], w_all[val_rows]

    sizes = [features.shape[1]] + [int(h) for h in o["hidden"]] + [n_classes]
    acts = [o["activation"]] * len(o["hidden"]) + [o["output_activation"]]
    history = []
    kept = (np.inf, None, -1)
    for restart in range(o["restarts"]):
        layers = nn.init_layers(sizes, acts, rng)
        best_layers, h, val_loss = _train_one(layers, x, y, w, x_val, y_val, w_val, o, rng)
        history.append(h)
        if val_loss < kept[0]:
            kept = (val_loss, best_layers, restart)
        if progress:
            progress(restart + 1, o["restarts"])
    return FitResult(kept[1], mean, std, o, history, kept[2], len(targets))


def train_model(features, targets, labels, feature_config, options=None, groups=None,
                threshold=0.5, training=None, progress=None):
    """Train and return a validated model dict (see clapnet.modelfile.make_model).

    features [samples, n_features] computed with feature_config; targets:
    index into labels per row; labels must include "clap". training: extra
    metadata for the model file (data summary, CV metrics, ...).
    """
    result = fit(features, targets, len(labels), options, groups, progress)
    return model_from_fit(result, labels, feature_config, threshold, training)


def model_from_fit(result, labels, feature_config, threshold=0.5, training=None):
    """The model dict for a FitResult, with a small training record (the
    board loads this file too, so no loss histories in it)."""
    info = {"options": result.options, "best_restart": result.best_restart,
            "epochs_run": [len(h["train_loss"]) for h in result.history],
            "samples": result.samples}
    info.update(training or {})
    return make_model(labels, feature_config, result.mean, result.std, result.layers,
                      threshold=threshold, training=_json_safe(info))


def _json_safe(value):
    """NaN/inf -> None and numpy numbers -> Python ones: strict JSON that
    MicroPython's json module reads."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value
