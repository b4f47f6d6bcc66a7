"""The `clapnet` training commands end to end: dataset info, train, cv, eval,
detect, inspect, bench train; clear errors; nothing half-written."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from clapnet import cli
from clapnet.training import dataset, train
from clapnet.shared import detector, features, network
from tests.conftest import ROOT

RATE = 35750
CLAPNET = [sys.executable, "-m", "clapnet"]


def run(*argv):
    """`clapnet ARGS` as a subprocess, the way users and other tools call it."""
    return subprocess.run(CLAPNET + [str(a) for a in argv], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def trained(seed_dir, tmp_path_factory):
    """A model trained with defaults only on the seed recordings."""
    out = tmp_path_factory.mktemp("model") / "model.json"
    result = run("train", seed_dir, "-o", out)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_train_with_defaults_writes_a_model_the_board_loads(trained, seed_dir):
    path, stdout = trained
    assert "cross-validation" in stdout and "accuracy" in stdout
    model = network.load(str(path))  # the shared loader, as on the board
    assert model["features"] == features.preset("default")
    t = model["training"]
    assert t["data"]["windows"] == {"clap": 108, "other": 121}
    assert t["cv"]["summary"]["accuracy"][0] >= 0.85
    assert 0 < model["threshold"] < 1
    # on its own training data the model is right nearly always
    data = dataset.load(str(seed_dir), model["features"])
    rows = dataset.extract_features(data.windows, model["features"])
    net = network.Network(model)
    said = np.array([net.is_clap(net.clap_probability(list(r))) for r in rows])
    assert np.mean(said == (data.targets == 0)) >= 0.95


def test_same_seed_same_model_file(trained, seed_dir, tmp_path):
    path, _ = trained
    again = tmp_path / "again.json"
    assert run("train", seed_dir, "-o", again, "--folds", "5").returncode == 0
    a, b = json.loads(path.read_text()), json.loads(again.read_text())
    for m in (a, b):
        m["training"].pop("date")
    assert a == b


def test_inspect_and_eval(trained, seed_dir, tmp_path):
    path, _ = trained
    result = run("inspect", path)
    assert result.returncode == 0
    layer = "%d %s" % (train.DEFAULT["hidden"][0], train.DEFAULT["activation"])
    for text in ("clap, other", "features (hash", layer, "cv (1 x 5 folds)"):
        assert text in result.stdout
    result = run("eval", path, seed_dir, "--plots", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "said clap" in result.stdout
    assert sorted(os.listdir(tmp_path / "plots")) == ["confusion.png", "roc.png"]


def test_detect_finds_claps_in_a_long_recording_like_the_firmware(trained, seed, tmp_path):
    path, _ = trained
    model = network.load(str(path))
    x, y = seed
    rng = np.random.default_rng(0)
    picks = [int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0]),
             int(np.flatnonzero(y == 1)[5])]
    samples = rng.normal(0, 0.005, int(2.0 * RATE))
    starts = [int(0.3 * RATE), int(0.9 * RATE), int(1.5 * RATE)]
    for start, i in zip(starts, picks):
        samples[start:start + 256] = x[i]
    wav = tmp_path / "rec.wav"
    soundfile.write(str(wav), samples, RATE, subtype="FLOAT")
    result = run("detect", path, wav, "--json")
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)
    assert [e["start"] for e in events] == starts
    net = network.Network(model)
    ex = features.Features(model["features"])
    for e, i in zip(events, picks):
        p = net.clap_probability(ex.extract(list(x[i])))
        assert abs(e["p"] - p) < 1e-9 and e["clap"] == (p >= model["threshold"])
    expect = detector.Detector(model).run(soundfile.read(str(wav))[0].tolist())
    assert [(e.start, e.clap) for e in expect] == [(e["start"], e["clap"]) for e in events]
    table = run("detect", path, wav)
    assert table.returncode == 0 and "triggered windows" in table.stdout
    assert "0.300" in table.stdout and "1.500" in table.stdout


def small_dataset(root, seed, per_label=12):
    x, y = seed
    for label, value in (("clap", 1), ("other", 0)):
        (root / label).mkdir(parents=True)
        for k, i in enumerate(np.flatnonzero(y == value)[:per_label]):
            soundfile.write(str(root / label / ("%s-%02d.wav" % (label, k))), x[i], RATE,
                            subtype="FLOAT")
    return root


def test_dataset_info_and_strict(seed, tmp_path):
    root = small_dataset(tmp_path / "d", seed)
    (root / "other" / "broken.wav").write_bytes(b"not a wav at all")
    result = run("dataset", "info", root)
    assert result.returncode == 0
    assert "clap" in result.stdout and "35750 Hz" in result.stdout
    assert "broken.wav" in result.stdout and "cannot read" in result.stdout
    strict = run("dataset", "info", root, "--strict")
    assert strict.returncode == 2 and "broken.wav" in strict.stderr
    assert "Traceback" not in strict.stderr


def test_cv_command_prints_metrics_and_misclassified(seed, tmp_path):
    root = small_dataset(tmp_path / "d", seed)
    result = run("cv", root, "--folds", "3", "--repeats", "2", "--hidden", "8",
                 "--plots", tmp_path / "plots")
    assert result.returncode == 0, result.stderr
    assert "cross-validation (6 folds)" in result.stdout
    assert (tmp_path / "plots" / "loss.png").exists()


def test_reference_protocol_from_the_cli(seed, tmp_path):
    root = small_dataset(tmp_path / "d", seed)
    out = tmp_path / "ref.json"
    result = run("train", root, "-o", out, "--protocol", "reference", "--epochs", "5",
                 "--folds", "0")
    assert result.returncode == 0, result.stderr
    model = network.load(str(out))
    assert model["features"] == features.preset("reference")
    assert [len(layer["biases"]) for layer in model["layers"]] == [11, 2]
    assert {layer["activation"] for layer in model["layers"]} == {"fast_tanh"}
    assert model["training"]["options"]["optimiser"] == "sgd"
    assert model["threshold"] == 0.5


@pytest.mark.parametrize("argv,message", [
    (["train", "{missing}", "-o", "{out}"], "does not exist"),
    (["train", "{data}", "-o", "{wav}"], "refusing to overwrite"),
    (["train", "{data}", "-o", "{out}", "--hidden", "0"], "hidden layer widths"),
    (["train", "{data}", "-o", "{out}", "--threshold", "2"], "--threshold"),
    (["train", "{data}", "-o", "{out}", "--folds", "50"], "fewer folds"),
    (["eval", "{missing}.json", "{data}"], "not found"),
    (["detect", "{out}", "{wav}"], "not found"),
])
def test_bad_input_is_one_clear_message(seed, tmp_path, argv, message):
    root = small_dataset(tmp_path / "d", seed)
    wav = root / "clap" / "clap-00.wav"
    before = wav.read_bytes()
    names = {"missing": tmp_path / "missing", "out": tmp_path / "out.json", "data": root,
             "wav": wav}
    result = run(*[a.format(**names) for a in argv])
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert wav.read_bytes() == before
    assert not (tmp_path / "out.json").exists()


def test_interrupted_training_leaves_the_old_model_untouched(trained, seed, tmp_path,
                                                             monkeypatch):
    root = small_dataset(tmp_path / "d", seed)
    out = tmp_path / "model.json"
    out.write_text(trained[0].read_text())
    before = out.read_text()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(train, "fit", interrupted)
    assert cli.main(["train", str(root), "-o", str(out), "--folds", "0"]) == 130
    assert out.read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["d", "model.json"]


@pytest.mark.parametrize("command", [[], ["dataset"], ["dataset", "info"], ["train"], ["cv"],
                                     ["eval"], ["detect"], ["inspect"], ["bench"],
                                     ["bench", "train"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(command + ["--help"])
    assert done.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_bench_train_prints_one_table(seed_dir):
    result = run("bench", "train", "--data", seed_dir, "--folds", "3", "--repeats", "1",
                 "--reference-epochs", "2", "--reference-restarts", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line for line in lines[1:] if "±" in line]
    assert len(rows) == 5
    assert any(line.startswith("reference") for line in rows)
    assert any(line.startswith("sklearn MLP") for line in rows)


def test_trained_model_gives_the_same_answers_under_micropython(trained, seed_dir, micropython,
                                                               tmp_path):
    path, _ = trained
    counts = np.load(seed_dir / "recordings.npz")["x"][::12].astype(np.int16) * 64
    windows = tmp_path / "windows.bin"
    windows.write_bytes(counts.astype("<i2").tobytes())
    env = dict(os.environ, MICROPYPATH=str(ROOT))
    result = subprocess.run([micropython, str(ROOT / "tools" / "mp_features.py"), str(path),
                             str(windows), "values"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    mp_p = np.array([json.loads(line)[1] for line in result.stdout.splitlines()])
    model = network.load(str(path))
    ex = features.Features(model["features"])
    net = network.Network(model)
    py_p = np.array([net.forward(ex.extract(list(map(int, c)), 1 / 32768)) for c in counts])
    assert mp_p.shape == py_p.shape and np.allclose(mp_p, py_p, rtol=1e-6, atol=1e-9)


def test_bench_group_lists_every_benchmark(capsys):
    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    out = capsys.readouterr().out
    for name in ("features", "train", "avr"):
        assert name in out
