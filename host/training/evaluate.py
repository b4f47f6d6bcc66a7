"""Evaluation: cross-validation, metrics, the decision threshold, plots.

Clap detection is judged as clap vs. everything else: a window is a clap
when p(clap) >= threshold, as on the board.

Cross-validation is repeated stratified group k-fold: every fold holds about
the same share of each label, and all windows cut from one recording stay on
the same side, so a model is never tested on a sibling of a window it
trained on.
"""
import os
import tempfile
import time

import numpy as np

from ..errors import ClapnetError

METRICS = ("accuracy", "recall", "specificity", "precision", "auc")


def splits(targets, groups, folds=10, repeats=1, seed=0):
    """[(train_rows, test_rows)] for `repeats` x `folds`-fold CV; the same
    arguments always give the same folds."""
    from sklearn.model_selection import StratifiedGroupKFold  # imported here: slow to load
    targets = np.asarray(targets)
    groups = np.asarray(groups)
    for label in np.unique(targets):
        recordings = len(np.unique(groups[targets == label]))
        if recordings < folds:
            raise ClapnetError("label %d has %d recordings, too few for %d-fold cross-validation: "
                               "add recordings or use fewer folds (--folds)"
                               % (label, recordings, folds))
    result = []
    rows = np.zeros(len(targets))
    for repeat in range(repeats):
        cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        result.extend(cv.split(rows, targets, groups))
    return result


def metrics(is_clap, p_clap, threshold=0.5):
    """Accuracy, clap recall, specificity, precision, ROC AUC and the confusion
    counts of clap-vs-rest decisions p_clap >= threshold."""
    from sklearn.metrics import roc_auc_score
    is_clap = np.asarray(is_clap, dtype=bool)
    said_clap = np.asarray(p_clap) >= threshold
    tp = int(np.sum(is_clap & said_clap))
    fn = int(np.sum(is_clap & ~said_clap))
    fp = int(np.sum(~is_clap & said_clap))
    tn = int(np.sum(~is_clap & ~said_clap))
    both = 0 < tp + fn < len(is_clap)
    return {
        "accuracy": (tp + tn) / len(is_clap),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "auc": float(roc_auc_score(is_clap, p_clap)) if both else float("nan"),
        # rows: true clap, true other; columns: said clap, said other
        "confusion": [[tp, fn], [fp, tn]],
        "threshold": float(threshold),
    }


def choose_threshold(is_clap, p_clap):
    """The threshold with the best balanced accuracy (mean of clap recall and
    specificity) on these predictions; among equals, the one nearest 0.5.
    Candidates are midpoints between neighbouring probabilities."""
    is_clap = np.asarray(is_clap, dtype=bool)
    p_clap = np.asarray(p_clap, dtype=float)
    if is_clap.all() or not is_clap.any():
        return 0.5
    p = np.unique(np.concatenate([p_clap, [0.0, 1.0]]))
    candidates = np.concatenate([[0.5], (p[:-1] + p[1:]) / 2])
    best, best_score = 0.5, -1.0
    for t in sorted(candidates, key=lambda t: abs(t - 0.5)):
        said_clap = p_clap >= t
        score = (np.mean(said_clap[is_clap]) + np.mean(~said_clap[~is_clap])) / 2
        if score > best_score + 1e-12:
            best, best_score = float(t), score
    return best


class CVResult:
    """Per-fold metrics and out-of-fold clap probabilities.

    p_clap[r, i]: window i's p(clap) from the model of repeat r that did not
    train on it. folds: list of metric dicts (with "seconds" of training).
    is_clap[i]: whether window i is a clap.
    """

    def __init__(self, folds, p_clap, histories, is_clap):
        self.folds = folds
        self.p_clap = p_clap
        self.histories = histories
        self.is_clap = is_clap

    def summary(self):
        """{metric: (mean, std) over folds} plus seconds per fold."""
        out = {}
        for key in METRICS + ("seconds",):
            values = np.array([f[key] for f in self.folds], dtype=float)
            values = values[np.isfinite(values)]
            out[key] = (float(values.mean()), float(values.std())) if len(values) else \
                (float("nan"), float("nan"))
        return out

    def mean_p(self):
        """Each window's out-of-fold p(clap), averaged over repeats."""
        return self.p_clap.mean(axis=0)

    def metrics(self, threshold):
        """Metrics of the out-of-fold predictions (mean_p) at a threshold."""
        return metrics(self.is_clap, self.mean_p(), threshold)


def cross_validate(features, targets, groups, clap_index, train_fn, folds=10, repeats=1,
                   seed=0, progress=None, fold_splits=None):
    """Train and test on every fold.

    train_fn(x_train, targets_train, groups_train) -> (predict, history) where
    predict(x) returns p(clap) per row and history is a loss history (or None).
    fold_splits: precomputed splits() to share between methods.
    """
    features = np.asarray(features, dtype=float)
    targets = np.asarray(targets)
    groups = np.asarray(groups)
    if fold_splits is None:
        fold_splits = splits(targets, groups, folds, repeats, seed)
    per_repeat = len(fold_splits) // repeats
    p_clap = np.full((repeats, len(targets)), np.nan)
    is_clap = targets == clap_index
    results, histories = [], []
    jobs = list(enumerate(fold_splits))
    for k, (train_rows, test_rows) in (progress(jobs, len(jobs)) if progress else jobs):
        start = time.perf_counter()
        predict, history = train_fn(features[train_rows], targets[train_rows],
                                    groups[train_rows])
        seconds = time.perf_counter() - start
        p = np.asarray(predict(features[test_rows]), dtype=float)
        p_clap[k // per_repeat, test_rows] = p
        fold = metrics(is_clap[test_rows], p)
        fold["seconds"] = seconds
        results.append(fold)
        histories.append(history)
    return CVResult(results, p_clap, histories, is_clap)


def misclassified(names, is_clap, p_clap, threshold):
    """[(name, p_clap, truth)] of windows on the wrong side of the threshold,
    worst first."""
    wrong = []
    for name, clap, p in zip(names, is_clap, p_clap):
        if bool(clap) != bool(p >= threshold):
            wrong.append((name, float(p), "clap" if clap else "not clap"))
    wrong.sort(key=lambda w: -abs(w[1] - threshold))
    return wrong


def format_metrics(summary_or_metrics):
    """One line: 'accuracy 0.950 ± 0.030, recall ...'."""
    parts = []
    for key in METRICS:
        v = summary_or_metrics[key]
        if isinstance(v, tuple):
            parts.append("%s %.3f ± %.3f" % (key, v[0], v[1]))
        else:
            parts.append("%s %.3f" % (key, v))
    return ", ".join(parts)


def format_confusion(confusion):
    (tp, fn), (fp, tn) = confusion
    return ("               said clap  said other\n"
            "  true clap    %9d  %10d\n"
            "  true other   %9d  %10d" % (tp, fn, fp, tn))


# --- plots (matplotlib, Agg canvas: no display needed) -----------------------


def _save(fig, path):
    """Write a figure as PNG via a temporary file, so a crash never leaves half a file."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".clapnet-", suffix=".png", dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100)
        # mkstemp makes owner-only files; a plot is an ordinary file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def plot_loss_curves(histories, path, title="training loss"):
    """Training (solid) and validation (dashed, if any) loss per epoch, one colour
    per run (restart or fold)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for i, h in enumerate(histories):
        colour = "C%d" % (i % 10)
        ax.plot(h["train_loss"], color=colour, label="run %d training" % i)
        if h.get("val_loss"):
            ax.plot(h["val_loss"], color=colour, linestyle="--", label="run %d validation" % i)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    _save(fig, path)


def plot_confusion(confusion, path, title="confusion matrix"):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4, 4))
    ax = fig.add_subplot()
    ax.imshow(np.array(confusion), cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, str(confusion[i][j]), ha="center", va="center", fontsize=14)
    ax.set_xticks([0, 1], ["said clap", "said other"])
    ax.set_yticks([0, 1], ["true clap", "true other"])
    ax.set_title(title)
    fig.tight_layout()
    _save(fig, path)


def plot_roc(is_clap, p_clap, path, threshold=None, title="ROC"):
    from matplotlib.figure import Figure
    from sklearn.metrics import roc_auc_score, roc_curve
    fpr, tpr, _ = roc_curve(np.asarray(is_clap, dtype=bool), p_clap)
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, label="AUC %.3f" % roc_auc_score(is_clap, p_clap))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    if threshold is not None:
        m = metrics(is_clap, p_clap, threshold)
        ax.plot([1 - m["specificity"]], [m["recall"]], "o", label="threshold %.2f" % threshold)
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("clap recall")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    _save(fig, path)


def write_plots(folder, is_clap, p_clap, threshold, histories=None, prefix=""):
    """confusion.png, roc.png and (with histories) loss.png in folder; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    path = os.path.join(folder, prefix + "confusion.png")
    plot_confusion(metrics(is_clap, p_clap, threshold)["confusion"], path,
                   "confusion matrix (threshold %.2f)" % threshold)
    paths.append(path)
    if 0 < np.sum(is_clap) < len(is_clap):
        path = os.path.join(folder, prefix + "roc.png")
        plot_roc(is_clap, p_clap, path, threshold)
        paths.append(path)
    if histories:
        path = os.path.join(folder, prefix + "loss.png")
        plot_loss_curves(histories, path)
        paths.append(path)
    return paths
