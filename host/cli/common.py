"""Pieces several command modules use: options, progress bars, printing.

Command modules import this one and the API, never each other.
"""
import argparse
import os
import sys

from tqdm import tqdm

from clapnet.shared import features

from .. import api
from ..training import evaluate, nn, train


def progress(what, items, total):
    """The API's progress callable: a tqdm bar on stderr, hidden when stderr is
    not a terminal (logs and pipes get no bar characters)."""
    return tqdm(items, total=total, desc=what, leave=False, disable=None, file=sys.stderr)


def add_preset(p):
    p.add_argument("--preset", choices=sorted(features.PRESETS), default=None,
                   help="feature preset (default: 'default', or 'reference' with "
                        "--protocol reference)")


def add_strict(p):
    p.add_argument("--strict", action="store_true",
                   help="fail on the first unusable file instead of skipping it")


def preset_name(args):
    """--preset, else the protocol's preset."""
    if args.preset:
        return args.preset
    return "reference" if getattr(args, "protocol", "") == "reference" else "default"


def _widths(text):
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError("give hidden layer widths like 16 or 15,11")
    return widths


def describe_options(o):
    return "%s %s, %s, %s lr %g" % ("-".join(map(str, o["hidden"])), o["activation"], o["loss"],
                                   o["optimiser"], o["lr"])


def add_training_options(p):
    add_preset(p)
    add_strict(p)
    g = p.add_argument_group("training options (defaults: clapnet's pipeline, %s)"
                             % describe_options(train.DEFAULT))
    g.add_argument("--protocol", choices=sorted(api.PROTOCOLS), default="default",
                   help="starting point for the options below: clapnet's pipeline, or the "
                        "reference design's (%s, reference features)"
                        % describe_options(train.REFERENCE))
    g.add_argument("--hidden", type=_widths, metavar="W[,W...]",
                   help="hidden layer widths, e.g. 16 or 15,11")
    acts = sorted(a for a in nn.ACTIVATIONS if a != "linear")
    g.add_argument("--activation", choices=acts, help="hidden layers' activation")
    g.add_argument("--output-activation", choices=sorted(nn.ACTIVATIONS),
                   help="output layer's activation before softmax (linear = plain softmax)")
    g.add_argument("--loss", choices=sorted(nn.LOSSES))
    g.add_argument("--optimiser", choices=train.OPTIMISERS,
                   help="sgd (batch size 1 = per-sample SGD), momentum or adam")
    g.add_argument("--lr", type=float, help="learning rate")
    g.add_argument("--batch-size", type=int, help="samples per step (0 = all)")
    g.add_argument("--epochs", type=int, help="maximum passes over the data")
    g.add_argument("--patience", type=int,
                   help="early stopping: epochs without a better validation loss (0 = off)")
    g.add_argument("--restarts", type=int,
                   help="random initialisations; the best on validation is kept")
    g.add_argument("--validation", type=float,
                   help="fraction of training recordings held out for restarts/early stopping")
    g.add_argument("--l2", type=float, help="L2 weight penalty")
    g.add_argument("--noise", type=float, help="std of Gaussian noise on standardised features")
    g.add_argument("--class-weight", choices=("balanced", "none"),
                   help="balanced: each label weighs the same in the loss")
    g.add_argument("--seed", type=int, help="random seed (same seed, same data -> same model)")


def training_options(args):
    """The options given on the command line (unset ones keep the protocol's)."""
    given = {}
    for key in train.DEFAULT:
        value = getattr(args, key, None)
        if value is not None:
            given[key] = None if value == "none" else value
    return api.training_options(given, args.protocol)


def load_dataset(folder, preset, strict, compute_features=True):
    """clapnet.load_dataset with progress bars; skipped files reported on stderr."""
    data = api.load_dataset(folder, preset, strict, compute_features, progress)
    for f in data.problems:
        print("clapnet: skipped %s: %s" % (os.path.relpath(f.path, data.folder), f.problem),
              file=sys.stderr)
    return data


def print_misclassified(names_wrong, show):
    """names_wrong: [(name, p, truth)] worst first, as evaluate.misclassified gives."""
    if names_wrong:
        print("misclassified (%d, worst first):" % len(names_wrong))
        for name, prob, truth in names_wrong[:show]:
            print("  %-40s p(clap) %.3f, is %s" % (name, prob, truth))
        if len(names_wrong) > show:
            print("  ... and %d more" % (len(names_wrong) - show))


def print_metrics_block(title, m):
    print("%s: %s" % (title, evaluate.format_metrics(m)))
    print(evaluate.format_confusion(m["confusion"]))


def layer_text(model):
    parts = ["%d features" % len(model["normalise"]["mean"])]
    for layer in model["layers"]:
        parts.append("%d %s" % (len(layer["biases"]), layer["activation"]))
    return parts + ["softmax"]
