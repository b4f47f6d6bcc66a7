# The network: a model dict -> class probabilities for one feature vector.
#
# Model file (JSON), as written by the host trainer:
#   format "clapnet-model", version 1
#   labels     ["clap", "other", ...]        one per output neuron
#   features   feature configuration (see features.py) and features_hash
#   normalise  {"mean": [...], "std": [...]} applied to features first
#   layers     [{"activation": name, "weights": [[...] per neuron], "biases": [...]}, ...]
#   threshold  p(clap) at or above which a window is a clap
# The output layer's activations go through softmax.
from . import features as features_mod
from .activations import ACTIVATIONS, softmax

FORMAT = "clapnet-model"
VERSION = 1


class ModelError(ValueError):
    pass


def _numbers(values, what):
    if not isinstance(values, list):
        raise ModelError("%s must be a list of numbers" % what)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v \
                or v - v != 0.0:
            raise ModelError("%s holds %r, not a finite number" % (what, v))
    return values


def validate(model):
    """Check a model dict; return it, or raise ModelError saying what is wrong."""
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise ModelError("not a clapnet model file (no \"format\": \"%s\")" % FORMAT)
    if model.get("version") != VERSION:
        raise ModelError("model format version %r, this code reads version %d"
                         % (model.get("version"), VERSION))
    for key in ("labels", "features", "features_hash", "normalise", "layers", "threshold"):
        if key not in model:
            raise ModelError("model has no %r" % key)
    try:
        config = features_mod.validate(model["features"])
    except ValueError as e:
        raise ModelError("model's feature configuration: %s" % e)
    if features_mod.config_hash(config) != model["features_hash"]:
        raise ModelError("features_hash does not match the feature configuration: "
                         "the file was edited or damaged; train it again")
    labels = model["labels"]
    if not isinstance(labels, list) or len(labels) < 2:
        raise ModelError("labels must list at least two classes")
    n_in = len(features_mod.feature_names(config))
    norm = model["normalise"]
    if not isinstance(norm, dict):
        raise ModelError("normalise must be {\"mean\": [...], \"std\": [...]}")
    for key in ("mean", "std"):
        if len(_numbers(norm.get(key), "normalise." + key)) != n_in:
            raise ModelError("normalise.%s has %d values, the features have %d"
                             % (key, len(norm[key]), n_in))
    for v in norm["std"]:
        if v <= 0:
            raise ModelError("normalise.std must be positive")
    layers = model["layers"]
    if not isinstance(layers, list) or not layers:
        raise ModelError("model has no layers")
    width = n_in
    for i, layer in enumerate(layers):
        where = "layer %d" % i
        if not isinstance(layer, dict):
            raise ModelError("%s is not an object" % where)
        if layer.get("activation") not in ACTIVATIONS:
            raise ModelError("%s: unknown activation %r (known: %s)"
                             % (where, layer.get("activation"), ", ".join(sorted(ACTIVATIONS))))
        weights = layer.get("weights")
        biases = _numbers(layer.get("biases"), where + " biases")
        if not isinstance(weights, list) or not weights:
            raise ModelError("%s: weights must be a list of rows, one per neuron" % where)
        if len(biases) != len(weights):
            raise ModelError("%s: %d weight rows but %d biases" % (where, len(weights), len(biases)))
        for row in weights:
            if len(_numbers(row, where + " weights")) != width:
                raise ModelError("%s: a weight row has %d inputs, expected %d"
                                 % (where, len(row), width))
        width = len(weights)
    if width != len(labels):
        raise ModelError("last layer has %d outputs but there are %d labels" % (width, len(labels)))
    t = model["threshold"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0:
        raise ModelError("threshold must be a number between 0 and 1")
    if "clap" not in labels:
        raise ModelError("labels must include \"clap\"")
    return model


def load(path):
    """Read and validate a model file."""
    import json
    try:
        with open(path) as f:
            model = json.load(f)
    except OSError as e:
        raise ModelError("cannot read model file %s: %s" % (path, e))
    except ValueError as e:
        raise ModelError("model file %s is not valid JSON (%s): train it again or "
                         "copy an intact one" % (path, e))
    return validate(model)


class Network:
    """Forward pass of a validated model. Buffers are allocated once here."""

    def __init__(self, model):
        validate(model)
        self.labels = model["labels"]
        self.clap_index = self.labels.index("clap")
        self.threshold = model["threshold"]
        self.mean = model["normalise"]["mean"]
        self.std = model["normalise"]["std"]
        self.layers = []
        for layer in model["layers"]:
            f = ACTIVATIONS[layer["activation"]][0]
            self.layers.append((layer["weights"], layer["biases"], f))
        self._a = [0.0] * len(self.mean)

    def forward(self, features):
        """Class probabilities (softmax of the last layer) for one feature vector."""
        a = self._a
        mean = self.mean
        std = self.std
        for i in range(len(a)):
            a[i] = (features[i] - mean[i]) / std[i]
        for weights, biases, f in self.layers:
            nxt = [0.0] * len(biases)
            for j in range(len(biases)):
                row = weights[j]
                z = biases[j]
                for i in range(len(row)):
                    z += row[i] * a[i]
                nxt[j] = f(z)
            a = nxt
        return softmax(a)

    def clap_probability(self, features):
        return self.forward(features)[self.clap_index]

    def is_clap(self, p):
        return p >= self.threshold
