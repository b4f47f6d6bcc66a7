"""clapnet.evaluate: group-aware stratified folds, metrics against
scikit-learn's, threshold choice, misclassified files, PNG plots."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from clapnet.training import evaluate
from clapnet.errors import ClapnetError


def grouped(recordings=40, seed=0):
    """targets and groups: recordings of 1-4 windows, every window of a recording
    with the recording's label."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, recordings)
    labels = rng.integers(0, 2, recordings)
    groups = np.repeat(np.arange(recordings), sizes)
    return labels[groups], groups


def test_folds_keep_recordings_together_cover_everything_and_stratify():
    targets, groups = grouped()
    folds = evaluate.splits(targets, groups, folds=5, repeats=3, seed=1)
    assert len(folds) == 15
    share = targets.mean()
    for r in range(3):
        tested = np.concatenate([test for _, test in folds[5 * r:5 * r + 5]])
        assert sorted(tested) == list(range(len(targets)))  # each row tested once per repeat
    for train_rows, test_rows in folds:
        assert not set(groups[train_rows]) & set(groups[test_rows])
        assert abs(targets[test_rows].mean() - share) < 0.25


def test_folds_are_reproducible_and_repeats_differ():
    targets, groups = grouped()
    a = evaluate.splits(targets, groups, 5, 2, seed=3)
    b = evaluate.splits(targets, groups, 5, 2, seed=3)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(a[i][1], a[i + 5][1]) for i in range(5))


def test_too_few_recordings_for_the_folds_is_a_clear_error():
    targets = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ClapnetError, match="fewer folds"):
        evaluate.splits(targets, np.arange(6), folds=5)


def test_metrics_agree_with_sklearn():
    rng = np.random.default_rng(2)
    is_clap = rng.integers(0, 2, 300).astype(bool)
    p = np.clip(is_clap * 0.3 + rng.uniform(0, 0.7, 300), 0, 1)
    m = evaluate.metrics(is_clap, p, 0.45)
    said = p >= 0.45
    assert np.isclose(m["accuracy"], skm.accuracy_score(is_clap, said))
    assert np.isclose(m["recall"], skm.recall_score(is_clap, said))
    assert np.isclose(m["specificity"], skm.recall_score(~is_clap, ~said))
    assert np.isclose(m["precision"], skm.precision_score(is_clap, said))
    assert np.isclose(m["auc"], skm.roc_auc_score(is_clap, p))
    tn, fp, fn, tp = skm.confusion_matrix(is_clap, said).ravel()
    assert m["confusion"] == [[tp, fn], [fp, tn]]


def test_metrics_with_one_class_only_give_nan_not_a_crash():
    m = evaluate.metrics([True, True], [0.9, 0.2])
    assert m["recall"] == 0.5 and np.isnan(m["specificity"]) and np.isnan(m["auc"])


def balanced_accuracy(is_clap, p, t):
    said = p >= t
    return (np.mean(said[is_clap]) + np.mean(~said[~is_clap])) / 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=2, max_size=40))
def test_chosen_threshold_is_at_least_as_good_as_any_other(pairs):
    is_clap = np.array([c for c, _ in pairs])
    p = np.array([v for _, v in pairs])
    t = evaluate.choose_threshold(is_clap, p)
    assert 0.0 <= t <= 1.0
    if is_clap.all() or not is_clap.any():
        assert t == 0.5
        return
    best = balanced_accuracy(is_clap, p, t)
    for other in np.concatenate([p, np.linspace(0, 1, 21)]):
        assert best >= balanced_accuracy(is_clap, p, other) - 1e-12


def test_threshold_separates_separable_predictions():
    is_clap = np.array([True] * 5 + [False] * 5)
    p = np.array([0.3, 0.35, 0.4, 0.33, 0.31, 0.1, 0.2, 0.05, 0.25, 0.29])
    t = evaluate.choose_threshold(is_clap, p)
    assert evaluate.metrics(is_clap, p, t)["accuracy"] == 1.0


def test_cross_validate_never_trains_on_test_rows_and_fills_every_prediction():
    targets, groups = grouped(seed=4)
    x = np.arange(len(targets), dtype=float)[:, None]  # row index as the only feature
    seen = []

    def train_fn(x_train, targets_train, groups_train):
        trained = set(x_train[:, 0].astype(int))
        seen.append(trained)

        def predict(rows):
            assert not trained & set(rows[:, 0].astype(int))
            return np.where(targets[rows[:, 0].astype(int)] == 1, 0.9, 0.1)
        return predict, {"train_loss": [1.0], "val_loss": [1.0]}

    cv = evaluate.cross_validate(x, targets, groups, 1, train_fn, folds=4, repeats=2)
    assert len(cv.folds) == 8 and len(seen) == 8
    assert not np.isnan(cv.p_clap).any()
    summary = cv.summary()
    assert summary["accuracy"] == (1.0, 0.0) and summary["seconds"][0] >= 0


def test_misclassified_lists_exactly_the_wrong_ones_worst_first():
    names = ["a", "b", "c", "d"]
    wrong = evaluate.misclassified(names, [True, True, False, False], [0.9, 0.1, 0.6, 0.2], 0.5)
    assert [w[0] for w in wrong] == ["b", "c"]
    assert wrong[0] == ("b", 0.1, "clap")


def test_plots_are_png_files_and_leave_no_temporary_files(tmp_path):
    rng = np.random.default_rng(5)
    is_clap = rng.integers(0, 2, 50).astype(bool)
    p = np.clip(is_clap * 0.4 + rng.uniform(0, 0.6, 50), 0, 1)
    history = [{"train_loss": list(np.linspace(1, 0.1, 30)),
                "val_loss": list(np.linspace(1, 0.2, 30))}]
    paths = evaluate.write_plots(str(tmp_path / "plots"), is_clap, p, 0.5, history)
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == ["confusion.png", "loss.png", "roc.png"]
    for path in paths:
        with open(path, "rb") as f:
            head = f.read(8)
        assert head == b"\x89PNG\r\n\x1a\n"
    assert sorted(f.name for f in (tmp_path / "plots").iterdir()) == \
        ["confusion.png", "loss.png", "roc.png"]
