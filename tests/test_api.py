"""The Python API (clapnet.load_dataset, train, evaluate, ...) and the host
training script built on it, on synthetic data a fresh clone can make."""
import json
import subprocess
import sys

import numpy as np
import pytest

import clapnet
from clapnet import cli
from clapnet.shared import features, network
from tests.conftest import ROOT
from tests.helpers import RATE, synthetic_dataset, synthetic_sound


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return synthetic_dataset(tmp_path_factory.mktemp("data"), per_label=16)


def test_pipeline_from_folder_to_model_prints_nothing(data_dir, tmp_path, capsys):
    data = clapnet.load_dataset(data_dir)
    assert data.counts() == {"clap": 16, "other": 16}
    assert data.features.shape == (32, len(features.feature_names(features.preset("default"))))
    result = clapnet.train(data, {"epochs": 200}, folds=4)
    assert result.cv.summary()["accuracy"][0] >= 0.9
    assert 0.0 <= result.threshold <= 1.0 and result.threshold == result.model["threshold"]
    assert result.out_of_fold["accuracy"] >= 0.9 and result.threshold_chosen_on_cv
    path = tmp_path / "model.json"
    clapnet.save_model(result.model, path)
    model = network.load(str(path))  # the board's loader
    assert model == clapnet.load_model(path)
    assert model["clapnet_version"] == clapnet.__version__
    assert model["training"]["cv"]["folds"] == 4
    report = clapnet.evaluate(model, data_dir)
    assert report.metrics["accuracy"] >= 0.95 and len(report.p_clap) == 32
    assert capsys.readouterr() == ("", "")


def test_detect_finds_the_windows_the_trigger_cuts(data_dir, tmp_path):
    data = clapnet.load_dataset(data_dir)
    model = clapnet.train(data, {"epochs": 100}, folds=0).model
    rng = np.random.default_rng(3)
    takes = [synthetic_sound(kind, rng) for kind in ("clap", "other", "clap")]
    stream = np.concatenate([np.concatenate([t, rng.normal(0, 0.002, RATE // 2)])
                             for t in takes])
    events = clapnet.detect(model, stream)
    assert len(events) == 3 and all(e.status == "ok" for e in events)
    assert [e.clap for e in events] == [True, False, True]


def test_evaluate_refuses_data_loaded_with_other_features(data_dir):
    data = clapnet.load_dataset(data_dir, "reference")
    model = clapnet.train(clapnet.load_dataset(data_dir), {"epochs": 20}, folds=0).model
    with pytest.raises(clapnet.ClapnetError, match="other features"):
        clapnet.evaluate(model, data)


@pytest.mark.parametrize("call,message", [
    (lambda d: clapnet.train(d, {"hiden": [3]}), "unknown training option"),
    (lambda d: clapnet.train(d, threshold=1.5), "threshold"),
    (lambda d: clapnet.cross_validate(d, folds=1), "at least 2 folds"),
    (lambda d: clapnet.load_dataset("/nonexistent/data"), "does not exist"),
    (lambda d: clapnet.load_dataset(d.folder, "nonsense"), "unknown feature preset"),
])
def test_bad_arguments_are_clapnet_errors(data_dir, call, message):
    data = clapnet.load_dataset(data_dir)
    with pytest.raises(clapnet.ClapnetError, match=message):
        call(data)


def test_cli_train_is_the_api_train(data_dir, tmp_path):
    """`clapnet train` is parse -> clapnet.train -> save: the same seed gives the same file."""
    out = tmp_path / "cli.json"
    assert cli.main(["train", str(data_dir), "-o", str(out), "--folds", "3", "--epochs", "50"]) == 0
    result = clapnet.train(clapnet.load_dataset(data_dir), {"epochs": 50}, folds=3,
                           training={"preset": "default"})
    from_cli = json.loads(out.read_text())
    from_api = json.loads(json.dumps(result.model))
    for m in (from_cli, from_api):
        m["training"].pop("date")
    assert from_cli == from_api


def test_export_header_from_a_model_file(data_dir, tmp_path):
    model = clapnet.train(clapnet.load_dataset(data_dir), {"epochs": 20}, folds=0).model
    path = tmp_path / "model.json"
    clapnet.save_model(model, path)
    clapnet.export_header(path, tmp_path / "model.h")
    text = (tmp_path / "model.h").read_text()
    assert "model.json" in text and "namespace model" in text
    with pytest.raises(clapnet.ClapnetError, match="overwrite the model file"):
        clapnet.export_header(path, path)


def test_training_script_runs_from_a_checkout_and_as_a_module(data_dir, tmp_path):
    out = tmp_path / "script.json"
    result = subprocess.run([sys.executable, str(ROOT / "host" / "train_clap_model.py"),
                             str(data_dir), "-o", str(out), "--folds", "3"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "threshold" in result.stdout
    assert network.load(str(out))["labels"] == ["clap", "other"]
    result = subprocess.run([sys.executable, "-m", "clapnet.train_clap_model", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "DATA" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "clapnet.train_clap_model",
                          str(tmp_path / "none"), "-o", str(tmp_path / "x.json")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "does not exist" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_version_everywhere():
    out = subprocess.run([sys.executable, "-m", "clapnet", "--version"], capture_output=True,
                         text=True, timeout=60).stdout
    assert out.strip() == "clapnet " + clapnet.__version__
