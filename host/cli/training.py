"""Training and using models:

    clapnet train DATA -o MODEL     cross-validate, then train on all data and write a model
    clapnet cv DATA                 cross-validation only (repeated, with plots)
    clapnet eval MODEL DATA         a trained model's metrics on a dataset
    clapnet detect MODEL REC.wav    claps in a long recording, decided as the board decides
    clapnet inspect MODEL           what a model file holds

Each command parses its arguments, calls one function of the API (clapnet.api)
and prints what it returns.
"""
import json
import os

from clapnet.shared import features, network

from .. import api
from ..errors import ClapnetError
from ..training import evaluate
from . import common


def add_commands(sub):
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
    common.add_training_options(p)
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
    common.add_training_options(p)
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
    common.add_strict(p)
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


def check_output(path):
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


def print_cv(cv, data, threshold, show):
    s = cv.summary()
    print("cross-validation (%d folds): %s" % (len(cv.folds), evaluate.format_metrics(s)))
    print("seconds per fold: %.3f ± %.3f" % s["seconds"])
    common.print_metrics_block("out-of-fold predictions at threshold %.3f" % threshold,
                               cv.metrics(threshold))
    names = [data.window_name(i) for i in range(len(cv.is_clap))]
    common.print_misclassified(evaluate.misclassified(names, cv.is_clap, cv.mean_p(), threshold),
                               show)


def cmd_train(args):
    check_output(args.output)
    if args.threshold != "auto":
        try:
            args.threshold = float(args.threshold)
        except ValueError:
            args.threshold = -1.0
        if not 0.0 <= args.threshold <= 1.0:
            raise ClapnetError("--threshold must be 'auto' or a number between 0 and 1")
    options = common.training_options(args)
    preset = common.preset_name(args)
    data = common.load_dataset(args.data, preset, args.strict)
    print("training on %s: %s windows from %d files, features '%s' (%d per window)"
          % (args.data, ", ".join("%d %s" % (c, l) for l, c in data.counts().items()),
             len(data.files) - len(data.problems), preset, data.features.shape[1]))
    result = api.train(data, options, args.protocol, args.folds, args.repeats, args.threshold,
                       training={"preset": preset}, progress=common.progress)
    if result.cv:
        print_cv(result.cv, data, result.threshold, show=10)
    api.save_model(result.model, args.output)
    print("wrote %s (threshold %.3f, %s)" % (args.output, result.threshold,
                                              " -> ".join(common.layer_text(result.model))))
    if args.plots:
        # the final training's loss curves; CV predictions (honest) for confusion and ROC
        if result.cv:
            is_clap, p = result.cv.is_clap, result.cv.mean_p()
        else:
            is_clap = data.targets == data.labels.index("clap")
            p = result.fit.predict_proba(data.features)[:, data.labels.index("clap")]
        for path in evaluate.write_plots(args.plots, is_clap, p, result.threshold,
                                         result.fit.history):
            print("wrote %s" % path)
    return 0


def cmd_cv(args):
    options = common.training_options(args)
    preset = common.preset_name(args)
    data = common.load_dataset(args.data, preset, args.strict)
    print("cross-validating on %s: %d windows, features '%s', %s, %d x %d folds"
          % (args.data, len(data.features), preset, common.describe_options(options),
             args.repeats, args.folds))
    cv = api.cross_validate(data, options, args.protocol, args.folds, args.repeats,
                            progress=common.progress)
    print_cv(cv, data, args.threshold, show=20)
    if args.plots:
        for path in evaluate.write_plots(args.plots, cv.is_clap, cv.mean_p(), args.threshold,
                                         [h for h in cv.histories[:5] if h]):
            print("wrote %s" % path)
    return 0


def cmd_eval(args):
    model = api.load_model(args.model)
    data = common.load_dataset(args.data, model["features"], args.strict,
                               compute_features=False)
    report = api.evaluate(model, data, progress=common.progress)
    print("%s on %s (%d windows, threshold %.3f):" % (args.model, args.data,
                                                      len(report.p_clap), report.threshold))
    print(evaluate.format_metrics(report.metrics))
    print(evaluate.format_confusion(report.metrics["confusion"]))
    common.print_misclassified(report.misclassified, show=50)
    if args.plots:
        for path in evaluate.write_plots(args.plots, report.is_clap, report.p_clap,
                                         report.threshold):
            print("wrote %s" % path)
    return 0


def cmd_detect(args):
    model = api.load_model(args.model)
    rate = model["features"]["sample_rate"]
    events = api.detect(model, args.recording, args.double_clap_gap)
    if args.json:
        print(json.dumps([{"time": e.start / rate, "start": e.start, "status": e.status,
                           "p": e.p, "clap": e.clap, "toggle": e.toggle} for e in events]))
        return 0
    import soundfile
    info = soundfile.info(args.recording)
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
    model = api.load_model(args.model)
    c = model["features"]
    print("%s: %s version %d, made by clapnet %s" % (
        args.model, model["format"], model["version"], model.get("clapnet_version", "(unknown)")))
    print("labels: %s; threshold p(clap) >= %.3f" % (", ".join(model["labels"]),
                                                     model["threshold"]))
    print("features (hash %s): %d per window of %d samples at %d Hz"
          % (model["features_hash"], len(model["normalise"]["mean"]), c["window"],
             c["sample_rate"]))
    print("  " + ", ".join(features.feature_names(c)))
    print("  " + features.canonical(c).replace(";", ", "))
    print("network: " + " -> ".join(common.layer_text(model)))
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
