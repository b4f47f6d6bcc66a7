"""clapnet's Python API: the pipeline from a folder of recordings to a model file.

    import clapnet

    data = clapnet.load_dataset("data")              # DATA/clap/*.wav, DATA/other/*.wav
    result = clapnet.train(data, folds=5)            # CV -> threshold -> final fit
    print(result.cv.summary()["accuracy"])           # (mean, std) over the folds
    clapnet.save_model(result.model, "model.json")   # atomic write

    model = clapnet.load_model("model.json")
    report = clapnet.evaluate(model, "test-data")    # metrics at the model's threshold
    events = clapnet.detect(model, "kitchen.wav")    # what the board would decide
    clapnet.export_header(model, "model.h")          # for the Arduino Mega sketch

The command line (`clapnet train`, `cv`, `eval`, ...) is a thin layer over
these functions: parse the arguments, call one function, print the result.
Nothing here prints. Long steps take an optional `progress` callable,
`progress(what, items, total) -> iterable`, which wraps an iterable (for
example in a tqdm bar) and yields the same items.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from clapnet.shared import detector as _detector
from clapnet.shared import features as _features
from clapnet.shared import network as _network

from . import modelfile
from .avr import header as _header
from .errors import ClapnetError
from .training import dataset as _dataset
from .training import evaluate as _evaluate
from .training import train as _train

Progress = Callable[[str, Iterable, int], Iterable]
Model = dict
PathLike = Union[str, "os.PathLike[str]"]

# training protocols: starting points for the training options
PROTOCOLS = {"default": _train.DEFAULT, "reference": _train.REFERENCE}

Dataset = _dataset.Dataset
CVResult = _evaluate.CVResult
Event = _detector.Event


def _stage(progress: Optional[Progress], what: str):
    """progress(what, ...) as the (items, total) wrapper the lower layers take."""
    if progress is None:
        return None
    return lambda items, total: progress(what, items, total)


def feature_config(preset: Union[str, dict] = "default") -> dict:
    """A feature configuration: a preset's name (see `clapnet.shared.features.PRESETS`)
    or a configuration dict (for example a model's "features"), checked."""
    if isinstance(preset, dict):
        try:
            return _features.validate(dict(preset))
        except ValueError as e:
            raise ClapnetError("feature configuration: %s" % e) from None
    try:
        return _features.preset(preset)
    except ValueError as e:
        raise ClapnetError(str(e)) from None


def training_options(options: Optional[dict] = None, protocol: str = "default") -> dict:
    """The full training options: `protocol`'s ("default" or "reference")
    updated with `options`. Raises ClapnetError naming a bad option."""
    if protocol not in PROTOCOLS:
        raise ClapnetError("unknown training protocol %r (choose from %s)"
                           % (protocol, ", ".join(PROTOCOLS)))
    try:
        return _train.options_with_defaults(options, PROTOCOLS[protocol])
    except ValueError as e:
        raise ClapnetError("training options: %s" % e) from None


# --- data -------------------------------------------------------------------

def load_dataset(folder: PathLike, preset: Union[str, dict] = "default", strict: bool = False,
                 compute_features: bool = True, progress: Optional[Progress] = None) -> Dataset:
    """Read a dataset folder (one subfolder of WAV files per label) into windows,
    cut by the firmware's trigger rule, and (by default) their feature rows.

    preset: feature preset name or configuration dict (a model's "features" to
    evaluate that model). strict: fail on the first unusable file instead of
    skipping it (skipped files are in `data.problems`). The result has
    `windows`, `targets` (index into `labels`), `groups` (recording of each
    window), `features` (rows, or None without compute_features).
    """
    config = feature_config(preset)
    data = _dataset.load(os.fspath(folder), config, strict, _stage(progress, "reading"))
    if compute_features:
        data.features = _dataset.extract_features(data.windows, config,
                                                  _stage(progress, "features"))
    return data


def _trainable(data: Dataset) -> np.ndarray:
    _dataset.check_trainable(data)
    if data.features is None:
        raise ClapnetError("the dataset was loaded without features: "
                           "load_dataset(..., compute_features=True)")
    return data.features


# --- training -----------------------------------------------------------------

def cross_validate(data: Dataset, options: Optional[dict] = None, protocol: str = "default",
                   folds: int = 10, repeats: int = 5, seed: Optional[int] = None,
                   progress: Optional[Progress] = None) -> CVResult:
    """Repeated stratified k-fold cross-validation of the trainer on `data`;
    all windows of one recording stay in one fold.

    Returns a CVResult: `summary()` gives {metric: (mean, std)} over folds at
    threshold 0.5, `mean_p()` each window's out-of-fold p(clap), `metrics(t)`
    the out-of-fold metrics at threshold t.
    """
    rows = _trainable(data)
    o = training_options(options, protocol)
    if folds < 2:
        raise ClapnetError("cross-validation needs at least 2 folds, got %d "
                           "(train without cross-validation: folds=0)" % folds)
    if repeats < 1:
        raise ClapnetError("repeats must be at least 1")
    clap = data.labels.index("clap")
    n_classes = len(data.labels)

    def train_fn(x, targets, groups):
        result = _train.fit(x, targets, n_classes, o, groups)
        return (lambda r: result.predict_proba(r)[:, clap]), result.history[result.best_restart]

    return _evaluate.cross_validate(rows, data.targets, data.groups, clap, train_fn, folds,
                                    repeats, o["seed"] if seed is None else seed,
                                    _stage(progress, "cross-validation"))


class TrainResult:
    """What `train` returns.

    model: the model dict (save it with save_model); threshold: the p(clap)
    written into it; cv: the CVResult (None with folds=0); out_of_fold: metrics
    of the out-of-fold predictions at that threshold (optimistic when the
    threshold was chosen on them, see `threshold_chosen_on_cv`); fit: the final
    training's FitResult (loss histories).
    """

    def __init__(self, model, threshold, cv, out_of_fold, fit, threshold_chosen_on_cv):
        self.model = model
        self.threshold = threshold
        self.cv = cv
        self.out_of_fold = out_of_fold
        self.fit = fit
        self.threshold_chosen_on_cv = threshold_chosen_on_cv


def train(data: Dataset, options: Optional[dict] = None, protocol: str = "default",
          folds: int = 5, repeats: int = 1, threshold: Union[str, float] = "auto",
          training: Optional[dict] = None, progress: Optional[Progress] = None) -> TrainResult:
    """The whole training pipeline on a loaded dataset:

    1. cross-validation (`folds` x `repeats`; folds=0 skips it),
    2. the decision threshold: a number, or "auto" = the best balanced
       accuracy on the out-of-fold predictions (0.5 without CV),
    3. the final network, trained on all of `data`,
    4. the model dict, with the feature configuration, normalisation,
       threshold and a training record (data summary, CV metrics).
    """
    rows = _trainable(data)
    o = training_options(options, protocol)
    if folds < 0:
        raise ClapnetError("folds must be 0 (no cross-validation) or at least 2")
    auto = threshold == "auto"
    if not auto:
        threshold = _threshold_value(threshold)
    record = {"data": data.summary()}
    record.update(training or {})
    cv = out_of_fold = None
    chosen = 0.5 if auto else threshold
    if folds:
        cv = cross_validate(data, o, folds=folds, repeats=repeats, progress=progress)
        if auto:
            chosen = _evaluate.choose_threshold(cv.is_clap, cv.mean_p())
        out_of_fold = cv.metrics(chosen)
        record["cv"] = {"folds": folds, "repeats": repeats,
                        # mean, std over folds; not the timings, so same seed = same file
                        "summary": {k: list(v) for k, v in cv.summary().items()
                                    if k != "seconds"},
                        "out_of_fold": out_of_fold}
    steps = _stage(progress, "training")
    bar = iter(steps(range(o["restarts"]), o["restarts"])) if steps else None
    fit = _train.fit(rows, data.targets, len(data.labels), o, data.groups,
                     (lambda done, total: next(bar, None)) if bar else None)
    model = _train.model_from_fit(fit, data.labels, data.config, chosen, record)
    return TrainResult(model, chosen, cv, out_of_fold, fit, auto and cv is not None)


def _threshold_value(value) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        t = -1.0
    if not 0.0 <= t <= 1.0:
        raise ClapnetError("threshold must be 'auto' or a number between 0 and 1, got %r"
                           % (value,))
    return t


# --- using a model ------------------------------------------------------------

class Evaluation:
    """What `evaluate` returns: metrics at `threshold` (accuracy, recall,
    specificity, precision, auc, confusion), each window's p(clap), whether it
    is a clap, its name, and the misclassified windows, worst first."""

    def __init__(self, data, threshold, p_clap, is_clap):
        self.data = data
        self.threshold = threshold
        self.p_clap = p_clap
        self.is_clap = is_clap
        self.metrics = _evaluate.metrics(is_clap, p_clap, threshold)
        self.names = [data.window_name(i) for i in range(len(p_clap))]
        self.misclassified = _evaluate.misclassified(self.names, is_clap, p_clap, threshold)


def evaluate(model: Model, data: Union[Dataset, PathLike], threshold: Optional[float] = None,
             strict: bool = False, progress: Optional[Progress] = None) -> Evaluation:
    """Run `model` on every window of `data` exactly as the board does (shared
    feature extraction and forward pass) and measure it at its threshold (or
    `threshold`). data: a dataset folder, or a Dataset loaded with the model's
    feature configuration."""
    if not isinstance(data, Dataset):
        data = load_dataset(data, model["features"], strict, compute_features=False,
                            progress=progress)
    elif _features.config_hash(data.config) != model["features_hash"]:
        raise ClapnetError("the dataset was loaded with other features than the model's: "
                           "load_dataset(folder, model['features'])")
    if not len(data.windows):
        raise ClapnetError("%s has no usable windows" % data.folder)
    extractor = _features.Features(model["features"])
    net = _network.Network(model)
    windows = _stage(progress, "evaluating")
    rows = windows(data.windows, len(data.windows)) if windows else data.windows
    p = np.array([net.clap_probability(extractor.extract(w.tolist())) for w in rows])
    is_clap = np.array([data.labels[t] == "clap" for t in data.targets])
    t = model["threshold"] if threshold is None else _threshold_value(threshold)
    return Evaluation(data, t, p, is_clap)


def detect(model: Model, recording: Union[PathLike, Sequence[float]],
           double_clap_gap: float = 0.0) -> list:
    """Every triggered window of a recording (a WAV path, resampled to the model's
    rate, or samples as floats in [-1, 1] at that rate) with the firmware's
    trigger, features, network, threshold and double-clap rule: a list of
    Events (start sample, status, p, clap, toggle)."""
    if double_clap_gap < 0:
        raise ClapnetError("double_clap_gap must be 0 or more seconds")
    if isinstance(recording, (str, os.PathLike)):
        recording, _ = _dataset.read_recording(os.fspath(recording),
                                               model["features"]["sample_rate"])
    samples = np.asarray(recording, dtype=float).tolist()
    return _detector.Detector(model, 1.0, double_clap_gap).run(samples)


class RecordingFeatures:
    """What `recording_features` returns: the windows' start samples, feature
    rows, names, and (with a model) class probabilities and decisions."""

    def __init__(self, config, starts, rows, rejected, probabilities=None, labels=None,
                 decisions=None):
        self.config = config
        self.starts = starts
        self.rows = rows
        self.names = _features.feature_names(config)
        self.rejected = rejected
        self.probabilities = probabilities
        self.labels = labels
        self.decisions = decisions


def recording_features(recording: PathLike, model: Optional[Model] = None,
                       preset: Union[str, dict] = "default") -> RecordingFeatures:
    """The features of each window of a recording, cut by the firmware's trigger
    rule, with the model's feature configuration (and its probabilities), or a
    preset's without a model."""
    config = model["features"] if model else feature_config(preset)
    samples, _ = _dataset.read_recording(os.fspath(recording), config["sample_rate"])
    windows, starts, rejected = _dataset.cut_windows(samples, config)
    extractor = _features.Features(config)
    rows = [list(extractor.extract(w.tolist())) for w in windows]
    result = RecordingFeatures(config, starts, rows, rejected)
    if model:
        net = _network.Network(model)
        result.labels = list(net.labels)
        result.probabilities = [net.forward(r) for r in rows]
        result.decisions = [net.is_clap(p[net.clap_index]) for p in result.probabilities]
    return result


# --- model files ----------------------------------------------------------------

def save_model(model: Model, path: PathLike) -> None:
    """Validate and write a model file atomically (an interrupted save never
    leaves half a file where a good one was)."""
    modelfile.save_model(model, path)


def load_model(path: PathLike) -> Model:
    """Read and validate a model file with the loader the board uses."""
    return modelfile.load_model(os.fspath(path))


def export_header(model: Union[Model, PathLike], path: PathLike,
                  format: str = "clapnet") -> None:
    """Write the C++ header of a model (a dict, or a model file, whose name and
    sha256 the header then records) for the Arduino Mega sketch. format
    "clapnet": device/avr/clapnet/model.h; "lightweight": the reference design's
    neuralNetworkLayer_t template. Written atomically."""
    source, digest = "model.json", "-"
    if not isinstance(model, dict):
        if os.path.abspath(os.fspath(model)) == os.path.abspath(os.fspath(path)):
            raise ClapnetError("%s would overwrite the model file: choose a .h path"
                               % os.fspath(path))
        model_path, model = model, load_model(model)
        source, digest = os.path.basename(os.fspath(model_path)), _header.file_sha256(model_path)
    _header.export(model, os.fspath(path), format, source, digest)
