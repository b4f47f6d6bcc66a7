"""`clapnet bench train`: the trainer against the reference design and scikit-learn.

All methods see the same windows and the same folds (repeated stratified
k-fold, 5 x 10 by default) of the seed recordings, and print one table:
accuracy, clap recall and specificity (mean ± std over the folds, threshold
0.5) and seconds of training per fold. Features are computed once per preset
before the folds (the same for every method) and are not in the timings.

Methods:
  reference   reference preset + 15-11-2 FastTanh, squared error, per-sample
              SGD lr 0.01, restarts picked on a validation split (fewer
              epochs than the reference's 10 x 50,000: see --reference-epochs)
  clapnet     default preset + clapnet's default training (clapnet.train.DEFAULT)
  sklearn MLP MLPClassifier, same hidden layers, on the same features (and
              one with 11 hidden units on the reference features)
  sklearn LR  LogisticRegression on the same features
"""
import os
import time
import warnings

from tqdm import tqdm

from clapnet.shared import features

from .. import paths
from ..errors import ClapnetError
from ..training import dataset, evaluate, train

# ../shared/data/seed-recordings beside the checkout
SEED_DATA = str(paths.seed_recordings() or "../shared/data/seed-recordings")


def add_arguments(p):
    p.add_argument("--data", default=SEED_DATA,
                   help="dataset folder (default %s, the 229 reference recordings)" % SEED_DATA)
    p.add_argument("--folds", type=int, default=10, help="folds (default 10)")
    p.add_argument("--repeats", type=int, default=5, help="repeats (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed for folds and training (default 0)")
    p.add_argument("--reference-epochs", type=int, default=train.REFERENCE["epochs"],
                   help="per-sample SGD epochs per restart for the reference protocol "
                        "(default %d)" % train.REFERENCE["epochs"])
    p.add_argument("--reference-restarts", type=int, default=train.REFERENCE["restarts"],
                   help="restarts for the reference protocol (default %d)"
                        % train.REFERENCE["restarts"])
    p.add_argument("--skip-reference", action="store_true",
                   help="leave out the (slow) reference protocol")
    p.set_defaults(func=run)


def ours(options):
    """Method: clapnet's trainer with these options."""
    def make(n_classes, clap, seed):
        o = dict(options, seed=seed)

        def train_fn(x, targets, groups):
            result = train.fit(x, targets, n_classes, o, groups)
            return (lambda rows: result.predict_proba(rows)[:, clap]), None
        return train_fn
    return make


def sklearn_method(build):
    """Method: a scikit-learn classifier after a StandardScaler fitted on the training fold."""
    def make(n_classes, clap, seed):
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        def train_fn(x, targets, groups):
            model = make_pipeline(StandardScaler(), build(seed))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter
                model.fit(x, targets)
            column = list(model.classes_).index(clap)
            return (lambda rows: model.predict_proba(rows)[:, column]), None
        return train_fn
    return make


def methods(args):
    """(name, preset, make_train_fn) for every method in the table."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    reference = dict(train.REFERENCE, hidden=[11], epochs=args.reference_epochs,
                     restarts=args.reference_restarts)
    hidden = tuple(train.DEFAULT["hidden"])
    mlp = sklearn_method(lambda seed: MLPClassifier(hidden, max_iter=2000, random_state=seed))
    mlp_ref = sklearn_method(lambda seed: MLPClassifier((11,), max_iter=2000, random_state=seed))
    lr = sklearn_method(lambda seed: LogisticRegression(max_iter=5000))
    rows = []
    if not args.skip_reference:
        rows.append(("reference 15-11-2 fast_tanh, SGD x%d epochs x%d restarts"
                     % (args.reference_epochs, args.reference_restarts), "reference",
                     ours(reference)))
    rows += [
        ("sklearn MLP (11) on reference features", "reference", mlp_ref),
        ("clapnet %s" % _describe(train.DEFAULT), "default", ours(train.DEFAULT)),
        ("sklearn MLP (%s) on the same features" % ",".join(map(str, hidden)), "default", mlp),
        ("sklearn LogisticRegression, same features", "default", lr),
    ]
    return rows


def _describe(o):
    return "%s %s %s" % ("-".join(map(str, o["hidden"])), o["activation"], o["optimiser"])


def run(args):
    if not os.path.isdir(args.data):
        raise ClapnetError("benchmark data %s not found: run from the project folder or give "
                           "--data" % args.data)
    table = []
    loaded = {}  # preset -> (dataset, feature rows), computed once
    for name, preset, make in methods(args):
        if preset not in loaded:
            config = features.preset(preset)
            data = dataset.load(args.data, config, strict=True)
            dataset.check_trainable(data)
            loaded[preset] = data, dataset.extract_features(data.windows, config)
        data, rows = loaded[preset]
        fold_splits = evaluate.splits(data.targets, data.groups, args.folds, args.repeats,
                                      args.seed)
        clap = data.labels.index("clap")
        train_fn = make(len(data.labels), clap, args.seed)
        bar = _bar(name)
        start = time.perf_counter()
        cv = evaluate.cross_validate(rows, data.targets, data.groups, clap,
                                     train_fn, args.folds, args.repeats, args.seed, bar,
                                     fold_splits)
        wall = time.perf_counter() - start
        table.append((name, preset, cv.summary(), wall))
    print_table(table, args, len(data.targets))
    return 0


def _bar(name):
    return lambda items, total: tqdm(items, total=total, desc=name[:30], leave=False,
                                     disable=None)


def print_table(table, args, windows):
    print("clapnet bench train: %s, %d windows, %d x stratified %d-fold CV (seed %d), "
          "same folds for every method; mean ± std over %d folds, threshold 0.5"
          % (args.data, windows, args.repeats, args.folds, args.seed,
             args.repeats * args.folds))
    header = "%-58s %-9s %-15s %-15s %-15s %9s" % (
        "method", "features", "accuracy", "clap recall", "specificity", "s/fold")
    print(header)
    print("-" * len(header))
    for name, preset, s, wall in table:
        print("%-58s %-9s %-15s %-15s %-15s %9.3f" % (
            name, preset, "%.3f ± %.3f" % s["accuracy"], "%.3f ± %.3f" % s["recall"],
            "%.3f ± %.3f" % s["specificity"], s["seconds"][0]))
