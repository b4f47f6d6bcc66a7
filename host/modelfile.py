"""Model files: build the JSON dict the board reads, write it atomically, read it back.

The format itself (and its validation) lives in shared/network.py, because the
board must read it too; this module only adds what the host needs.
"""
import datetime
import json
import os
import tempfile

from clapnet.shared import features, network

from .errors import ClapnetError


def make_model(labels, config, mean, std, layers, threshold=0.5, training=None):
    """A validated model dict.

    layers: list of (activation_name, weights[neurons][inputs], biases[neurons]),
    as nested lists or numpy arrays.
    """
    from . import __version__
    model = {
        "format": network.FORMAT,
        "version": network.VERSION,
        "clapnet_version": __version__,  # the clapnet that made the file (`clapnet inspect`)
        "labels": list(labels),
        "features": dict(config),
        "features_hash": features.config_hash(config),
        "feature_names": features.feature_names(config),
        "normalise": {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "layers": [
            {
                "activation": act,
                "weights": [[float(v) for v in row] for row in w],
                "biases": [float(v) for v in b],
            }
            for act, w, b in layers
        ],
        "threshold": float(threshold),
        "training": dict(training or {}),
    }
    model["training"].setdefault("date", datetime.datetime.now().isoformat(timespec="seconds"))
    return network.validate(model)


def save_model(model, path):
    """Validate, then write via a temporary file and rename, so an interrupted or
    failed save never leaves a half-written model where a good one was."""
    network.validate(model)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ClapnetError("folder %s does not exist: create it or choose another -o path" % folder)
    fd, tmp = tempfile.mkstemp(prefix=".clapnet-", suffix=".json.tmp", dir=folder)
    try:
        # mkstemp makes the file private; a model is an ordinary file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w") as f:
            json.dump(model, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_model(path):
    """Read and validate a model file, with errors a user can act on."""
    if not os.path.exists(path):
        raise ClapnetError("model file %s not found: train one with `clapnet train DATA -o %s`"
                           % (path, path))
    try:
        return network.load(path)
    except network.ModelError as e:
        raise ClapnetError("%s: %s" % (path, e))
