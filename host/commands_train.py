"""Sub-commands for data, training and evaluation:

    clapnet dataset info DIR        what is in a dataset folder, and what cannot be used
    clapnet train DATA -o MODEL     cross-validate, then train on all data and write a model
    clapnet cv DATA                 cross-validation only (repeated, with plots)
    clapnet eval MODEL DATA         a trained model's metrics on a dataset
    clapnet detect MODEL REC.wav    claps in a long recording, decided as the board decides
    clapnet inspect MODEL           what a model file holds
    clapnet bench train             trainer benchmark against the reference and scikit-learn

`bench` is a group other modules add entries to. In their add_commands(sub):

    from .commands_train import bench_subparsers
    p = bench_subparsers(sub).add_parser("features", help="...", description="...")
    p.set_defaults(func=run)

bench_subparsers() creates the group on first use, so the order modules are
registered in does not matter.
"""
import argparse
import json
import os
import sys

import numpy as np
from tqdm import tqdm

from shared import detector, features, network

from . import bench_train, dataset, evaluate, train
from .errors import ClapnetError
from .modelfile import load_model, save_model


def add_commands(sub):
    data = sub.add_parser("dataset", help="inspect a dataset folder",
                          description="Dataset folders: DIR/<label>/*.wav, one subfolder per "
                                      "label (clap/, other/, ...).")
    data_sub = data.add_subparsers(dest="dataset_command", metavar="COMMAND")
    data_sub.required = True
    p = data_sub.add_parser(
        "info", help="counts per label, sample rates, unusable files",
        description="Report windows per label, sample rates and formats, and files that are "
                    "clipped, silent (nothing reaches the trigger level), unreadable or hold NaN "
                    "samples. Long recordings are cut into windows by the firmware's trigger rule.")
    p.add_argument("folder", metavar="DIR", help="dataset folder with one subfolder per label")
    _add_preset(p)
    _add_strict(p)
    p.set_defaults(func=cmd_dataset_info)

    p = sub.add_parser(
        "train", help="train a model from a dataset folder",
        description="Cross-validate on DATA (prints accuracy, clap recall, specificity...), "
                    "choose the decision threshold from the cross-validated predictions, then "
                    "train on all of DATA and write the model file (atomically). "
                    "The defaults give clapnet's best pipeline; --protocol reference gives the "
                    "reference design's.")
    p.add_argument("data", metavar="DATA", help="dataset folder with one subfolder per label")
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="model file to write (JSON), e.g. model.json")
    _add_training_options(p)
    p.add_argument("--folds", type=int, default=5,
                   help="cross-validation folds before the final training (default 5; "
                        "0 = skip cross-validation, threshold 0.5)")
    p.add_argument("--repeats", type=int, default=1, help="cross-validation repeats (default 1)")
    p.add_argument("--threshold", default="auto",
                   help="p(clap) at or above which a window is a clap: a number, or 'auto' "
                        "(best balanced accuracy in cross-validation; default)")
    p.add_argument("--plots", metavar="DIR",
                   help="write loss.png, confusion.png and roc.png into DIR")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "cv", help="cross-validate a training setup",
        description="Repeated stratified k-fold cross-validation that keeps each recording's "
                    "windows in one fold. Prints metrics (mean ± std over folds), the confusion "
                    "matrix of the out-of-fold predictions and the misclassified files.")
    p.add_argument("data", metavar="DATA", help="dataset folder with one subfolder per label")
    _add_training_options(p)
    p.add_argument("--folds", type=int, default=10, help="folds (default 10)")
    p.add_argument("--repeats", type=int, default=5, help="repeats with new folds (default 5)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="decision threshold for the metrics (default 0.5)")
    p.add_argument("--plots", metavar="DIR", help="write confusion.png, roc.png and loss.png")
    p.set_defaults(func=cmd_cv)

    p = sub.add_parser(
        "eval", help="evaluate a model on a dataset",
        description="Run MODEL on every window of DATA, exactly as the board would (shared "
                    "feature extraction and forward pass), and print metrics at the model's "
                    "threshold, the confusion matrix and the misclassified files.")
    p.add_argument("model", metavar="MODEL", help="model file (JSON)")
    p.add_argument("data", metavar="DATA", help="dataset folder with one subfolder per label")
    _add_strict(p)
    p.add_argument("--plots", metavar="DIR", help="write confusion.png and roc.png into DIR")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser(
        "detect", help="find claps in a recording",
        description="Run the firmware's trigger, overload rejection, refractory time, features, "
                    "network and threshold over a WAV recording (resampled to the model's rate) "
                    "and print the time and p(clap) of every triggered window.")
    p.add_argument("model", metavar="MODEL", help="model file (JSON)")
    p.add_argument("recording", metavar="REC.wav", help="WAV recording, any rate, mono or stereo")
    p.add_argument("--double-clap-gap", type=float, default=0.0, metavar="SECONDS",
                   help="toggle only on two claps within this many seconds (default 0: "
                        "every clap toggles)")
    p.add_argument("--json", action="store_true",
                   help="print the events as one JSON list instead of a table")
    p.set_defaults(func=cmd_detect)

    p = sub.add_parser("inspect", help="show what a model file holds",
                       description="Labels, feature configuration and hash, layers, threshold "
                                   "and training metadata of a model file (validated by the "
                                   "same loader the board uses).")
    p.add_argument("model", metavar="MODEL", help="model file (JSON)")
    p.set_defaults(func=cmd_inspect)

    p = bench_subparsers(sub).add_parser(
        "train", help="trainer benchmark: reference vs clapnet vs scikit-learn",
        description=bench_train.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_train.add_arguments(p)


def bench_subparsers(sub):
    """The subparsers of the `clapnet bench` group, created on first use."""
    group = getattr(sub, "_clapnet_bench", None)
    if group is None:
        bench = sub.add_parser("bench", help="benchmarks (print tables)",
                               description="Benchmarks that print a table of measured numbers.")
        group = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK")
        group.required = True
        sub._clapnet_bench = group
    return group


# --- options ------------------------------------------------------------------


def _add_preset(p):
    p.add_argument("--preset", choices=sorted(features.PRESETS), default=None,
                   help="feature preset (default: 'default', or 'reference' with "
                        "--protocol reference)")


def _add_strict(p):
    p.add_argument("--strict", action="store_true",
                   help="fail on the first unusable file instead of skipping it")


def _widths(text):
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError("give hidden layer widths like 16 or 15,11")
    return widths


def _add_training_options(p):
    _add_preset(p)
    _add_strict(p)
    g = p.add_argument_group("training options (defaults: clapnet's pipeline, %s)"
                             % _describe(train.DEFAULT))
    g.add_argument("--protocol", choices=("default", "reference"), default="default",
                   help="starting point for the options below: clapnet's pipeline, or the "
                        "reference design's (%s, reference features)" % _describe(train.REFERENCE))
    g.add_argument("--hidden", type=_widths, metavar="W[,W...]",
                   help="hidden layer widths, e.g. 16 or 15,11")
    acts = sorted(a for a in train.nn.ACTIVATIONS if a != "linear")
    g.add_argument("--activation", choices=acts, help="hidden layers' activation")
    g.add_argument("--output-activation", choices=sorted(train.nn.ACTIVATIONS),
                   help="output layer's activation before softmax (linear = plain softmax)")
    g.add_argument("--loss", choices=sorted(train.nn.LOSSES))
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


def _describe(o):
    return "%s %s, %s, %s lr %g" % ("-".join(map(str, o["hidden"])), o["activation"], o["loss"],
                                   o["optimiser"], o["lr"])


def training_options(args):
    """Training options dict from the command line (unset options keep the protocol's)."""
    options = dict(train.REFERENCE if args.protocol == "reference" else train.DEFAULT)
    for key in train.DEFAULT:
        value = getattr(args, key, None)
        if value is not None:
            options[key] = None if value == "none" else value
    try:
        return train.options_with_defaults(options)
    except ValueError as e:
        raise ClapnetError("training options: %s" % e)


def feature_config(args):
    name = args.preset or ("reference" if getattr(args, "protocol", "") == "reference"
                           else "default")
    return name, features.preset(name)


def _bar(desc):
    """A progress-bar factory for dataset.load / cross_validate (quiet when not a terminal)."""
    return lambda items, total: tqdm(items, total=total, desc=desc, leave=False, disable=None)


def load_data(folder, config, strict):
    """Dataset + feature rows, with skipped files reported on stderr."""
    data = dataset.load(folder, config, strict, _bar("reading"))
    _report_skipped(data)
    dataset.check_trainable(data)
    rows = dataset.extract_features(data.windows, config, _bar("features"))
    return data, rows


def _report_skipped(data):
    for f in data.problems:
        print("clapnet: skipped %s: %s" % (os.path.relpath(f.path, data.folder), f.problem),
              file=sys.stderr)


def _check_output(path):
    """Refuse to write a model over a file that is not a model (e.g. a recording)."""
    if os.path.isdir(path):
        raise ClapnetError("%s is a folder: give a file name like model.json" % path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ClapnetError("folder %s does not exist: create it or choose another -o path"
                           % folder)
    if os.path.exists(path):
        try:
            network.load(path)
        except network.ModelError:
            raise ClapnetError("%s exists and is not a clapnet model: refusing to overwrite it; "
                               "choose another -o path" % path)


# --- commands ---------------------------------------------------------------


def cmd_dataset_info(args):
    _, config = feature_config(args)
    data = dataset.load(args.folder, config, args.strict, _bar("reading"))
    print(dataset.info_report(data))
    return 0


def run_cv(rows, data, options, folds, repeats, seed):
    """Cross-validation of the trainer with these options on a loaded dataset."""
    clap = data.labels.index("clap")
    n_classes = len(data.labels)

    def train_fn(x, targets, groups):
        result = train.fit(x, targets, n_classes, options, groups)
        return (lambda r: result.predict_proba(r)[:, clap]), result.history[result.best_restart]

    return evaluate.cross_validate(rows, data.targets, data.groups, clap, train_fn, folds,
                                   repeats, seed, _bar("cross-validation"))


def print_cv(cv, data, threshold, show=20):
    clap = data.labels.index("clap")
    is_clap = data.targets == clap
    s = cv.summary()
    print("cross-validation (%d folds): %s" % (len(cv.folds), evaluate.format_metrics(s)))
    print("seconds per fold: %.3f ± %.3f" % s["seconds"])
    p = cv.mean_p()
    m = evaluate.metrics(is_clap, p, threshold)
    print("out-of-fold predictions at threshold %.3f: %s" % (threshold, evaluate.format_metrics(m)))
    print(evaluate.format_confusion(m["confusion"]))
    _print_misclassified(data, is_clap, p, threshold, show)
    return m


def _print_misclassified(data, is_clap, p, threshold, show):
    names = [data.window_name(i) for i in range(len(p))]
    wrong = evaluate.misclassified(names, is_clap, p, threshold)
    if wrong:
        print("misclassified (%d, worst first):" % len(wrong))
        for name, prob, truth in wrong[:show]:
            print("  %-40s p(clap) %.3f, is %s" % (name, prob, truth))
        if len(wrong) > show:
            print("  ... and %d more" % (len(wrong) - show))


def cmd_train(args):
    _check_output(args.output)
    options = training_options(args)
    preset, config = feature_config(args)
    data, rows = load_data(args.data, config, args.strict)
    counts = data.counts()
    print("training on %s: %s windows from %d files, features '%s' (%d per window)"
          % (args.data, ", ".join("%d %s" % (c, l) for l, c in counts.items()),
             len(data.files) - len(data.problems), preset, rows.shape[1]))
    clap = data.labels.index("clap")
    is_clap = data.targets == clap
    training = {"data": data.summary(), "preset": preset}
    threshold = 0.5
    cv = None
    if args.folds:
        cv = run_cv(rows, data, options, args.folds, args.repeats, options["seed"])
        if args.threshold == "auto":
            threshold = evaluate.choose_threshold(is_clap, cv.mean_p())
        m = print_cv(cv, data, _threshold_value(args.threshold, threshold), show=10)
        training["cv"] = {"folds": args.folds, "repeats": args.repeats,
                          # mean, std over folds; not the timings, so same seed = same file
                          "summary": {k: list(v) for k, v in cv.summary().items()
                                      if k != "seconds"},
                          "out_of_fold": m}
    if args.threshold != "auto":
        threshold = _threshold_value(args.threshold, threshold)
    bar = tqdm(total=options["restarts"], desc="training", leave=False, disable=None)
    try:
        result = train.fit(rows, data.targets, len(data.labels), options, data.groups,
                           lambda done, total: bar.update(1))
    finally:
        bar.close()
    model = train.model_from_fit(result, data.labels, config, threshold, training)
    save_model(model, args.output)
    print("wrote %s (threshold %.3f, %s)" % (args.output, threshold,
                                              " -> ".join(_layer_text(model))))
    if args.plots:
        # the final training's loss curves; CV predictions (honest) for confusion and ROC
        p = cv.mean_p() if cv else result.predict_proba(rows)[:, clap]
        for path in evaluate.write_plots(args.plots, is_clap, p, threshold, result.history):
            print("wrote %s" % path)
    return 0


def _threshold_value(text, auto):
    if text == "auto":
        return auto
    try:
        t = float(text)
    except ValueError:
        t = -1.0
    if not 0.0 <= t <= 1.0:
        raise ClapnetError("--threshold must be 'auto' or a number between 0 and 1, got %r" % text)
    return t


def _layer_text(model):
    parts = ["%d features" % len(model["normalise"]["mean"])]
    for layer in model["layers"]:
        parts.append("%d %s" % (len(layer["biases"]), layer["activation"]))
    return parts + ["softmax"]


def cmd_cv(args):
    options = training_options(args)
    preset, config = feature_config(args)
    data, rows = load_data(args.data, config, args.strict)
    print("cross-validating on %s: %d windows, features '%s', %s, %d x %d folds"
          % (args.data, len(rows), preset, _describe(options), args.repeats, args.folds))
    cv = run_cv(rows, data, options, args.folds, args.repeats, options["seed"])
    print_cv(cv, data, args.threshold)
    if args.plots:
        is_clap = data.targets == data.labels.index("clap")
        for path in evaluate.write_plots(args.plots, is_clap, cv.mean_p(), args.threshold,
                                         [h for h in cv.histories[:5] if h]):
            print("wrote %s" % path)
    return 0


def cmd_eval(args):
    model = load_model(args.model)
    config = model["features"]
    data = dataset.load(args.data, config, args.strict, _bar("reading"))
    _report_skipped(data)
    if not len(data.windows):
        raise ClapnetError("%s has no usable windows" % args.data)
    ex = features.Features(config)
    net = network.Network(model)
    p = np.array([net.clap_probability(ex.extract(w.tolist()))
                  for w in tqdm(data.windows, desc="evaluating", leave=False, disable=None)])
    is_clap = np.array([data.labels[t] == "clap" for t in data.targets])
    m = evaluate.metrics(is_clap, p, model["threshold"])
    print("%s on %s (%d windows, threshold %.3f):" % (args.model, args.data, len(p),
                                                      model["threshold"]))
    print(evaluate.format_metrics(m))
    print(evaluate.format_confusion(m["confusion"]))
    _print_misclassified(data, is_clap, p, model["threshold"], show=50)
    if args.plots:
        for path in evaluate.write_plots(args.plots, is_clap, p, model["threshold"]):
            print("wrote %s" % path)
    return 0


def cmd_detect(args):
    model = load_model(args.model)
    rate = model["features"]["sample_rate"]
    samples, info = dataset.read_recording(args.recording, rate)
    if args.double_clap_gap < 0:
        raise ClapnetError("--double-clap-gap must be 0 or more seconds")
    events = detector.Detector(model, 1.0, args.double_clap_gap).run(samples.tolist())
    if args.json:
        print(json.dumps([{"time": e.start / rate, "start": e.start, "status": e.status,
                           "p": e.p, "clap": e.clap, "toggle": e.toggle} for e in events]))
        return 0
    print("%s: %.2f s at %d Hz (model rate %d Hz), threshold %.3f"
          % (args.recording, info.frames / info.samplerate, info.samplerate, rate,
             model["threshold"]))
    print("%9s  %7s  %s" % ("time_s", "p_clap", "decision"))
    for e in events:
        if e.p is None:
            print("%9.3f  %7s  rejected (overload)" % (e.start / rate, "-"))
        else:
            print("%9.3f  %7.3f  %s%s" % (e.start / rate, e.p, "clap" if e.clap else "other",
                                          "  toggle" if e.toggle and args.double_clap_gap else ""))
    claps = sum(e.clap for e in events)
    print("%d clap%s in %d triggered window%s" % (claps, "" if claps == 1 else "s",
                                                  len(events), "" if len(events) == 1 else "s"))
    return 0


def cmd_inspect(args):
    model = load_model(args.model)
    c = model["features"]
    print("%s: %s version %d" % (args.model, model["format"], model["version"]))
    print("labels: %s; threshold p(clap) >= %.3f" % (", ".join(model["labels"]),
                                                     model["threshold"]))
    print("features (hash %s): %d per window of %d samples at %d Hz"
          % (model["features_hash"], len(model["normalise"]["mean"]), c["window"],
             c["sample_rate"]))
    print("  " + ", ".join(features.feature_names(c)))
    print("  " + features.canonical(c).replace(";", ", "))
    print("network: " + " -> ".join(_layer_text(model)))
    weights = sum(len(layer["biases"]) * (len(layer["weights"][0]) + 1)
                  for layer in model["layers"])
    print("  %d weights and biases" % weights)
    t = model.get("training") or {}
    if t:
        print("training:")
        for key in ("date", "preset", "data", "options", "epochs_run", "best_restart"):
            if key in t:
                print("  %s: %s" % (key, json.dumps(t[key])))
        if "cv" in t:
            s = t["cv"]["summary"]
            print("  cv (%d x %d folds): %s" % (t["cv"]["repeats"], t["cv"]["folds"],
                                                evaluate.format_metrics(
                                                    {k: tuple(v) for k, v in s.items()})))
    return 0
