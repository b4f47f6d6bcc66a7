"""The AVR target: the generated header, the C++ library on the host (g++), the
sketch for the atmega2560 under simavr, and the --format lightweight header,
each compared with shared/ on the real seed recordings."""
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from clapnet import cli
from clapnet.avr import build as avr_build
from clapnet.avr import header as export_header
from clapnet.modelfile import make_model, save_model
from clapnet.shared import detector, features, network
from tests.conftest import need

TOLERANCE = 1e-4
# between them every activation of shared/activations.py
ACTIVATIONS = {"default": ("sigmoid", "relu", "tanh", "linear"),
               "reference": ("fast_tanh", "fast_tanh")}


def need_tools(*names):
    for name in names:
        need(shutil.which(name) is not None, "%s (bash tools/setup installs it)" % name)


@pytest.fixture(scope="module")
def raw(seed_dir):
    """Centred 10-bit ADC counts [229, 256] and labels, as the AVR samples them."""
    data = np.load(seed_dir / "recordings.npz")
    return data["x"].astype(np.int16), data["y"].astype(int)


def seed_model(config, raw_x, activations, labels=("clap", "other"), seed=3):
    """Seeded random weights, normalisation fitted on the seed features."""
    ex = features.Features(config, "numpy")
    f = np.array([ex.extract(w.tolist(), 1 / 512) for w in raw_x])
    rng = np.random.default_rng(seed)
    sizes = [f.shape[1]] + [9] * (len(activations) - 1) + [len(labels)]
    layers = [(act, rng.normal(0, 1.5 / np.sqrt(sizes[i]), (sizes[i + 1], sizes[i])),
               rng.normal(0, 0.5, sizes[i + 1])) for i, act in enumerate(activations)]
    model = make_model(list(labels), config, f.mean(0), f.std(0) + 1e-6, layers,
                       training={"note": "random weights for parity tests"})
    # threshold in the widest gap between the middle half of the clap
    # probabilities, so both decisions occur and none is a near tie
    net = network.Network(model)
    p = np.sort([net.clap_probability(list(row)) for row in f])
    middle = np.arange(len(p) // 4, 3 * len(p) // 4)
    i = middle[np.argmax(p[middle + 1] - p[middle])]
    model["threshold"] = float(p[i] + p[i + 1]) / 2
    return network.validate(model)


def with_overloads(raw_x, rows):
    """Copies of some recordings with one clipped sample: the trigger rejects them."""
    clipped = raw_x[rows].copy()
    clipped[:, 100] = 509
    return clipped


def compare_events(got, model, stream, gap_samples=0):
    """C++ events against shared/detector.py on the same stream."""
    config = model["features"]
    gap_seconds = gap_samples / config["sample_rate"]
    expect = detector.Detector(model, full_scale=512, double_clap_gap=gap_seconds,
                               backend="numpy").run(stream.tolist())
    assert [(e["start"], e["status"]) for e in got] == [(e.start, e.status) for e in expect]
    ex = features.Features(config, "numpy")
    net = network.Network(model)
    n = config["window"]
    worst_f = worst_p = 0.0
    for g, e in zip(got, expect):
        if e.status != "ok":
            continue
        f = ex.extract(stream[e.start:e.start + n].tolist(), 1 / 512)
        worst_f = max(worst_f, float(np.max(np.abs(g["features"] - f))))
        worst_p = max(worst_p, float(np.max(np.abs(g["probabilities"] - net.forward(f)))))
        assert (g["clap"], g["toggle"]) == (e.clap, e.toggle), "window at %d" % e.start
    assert worst_f <= TOLERANCE and worst_p <= TOLERANCE, (worst_f, worst_p)
    return worst_f, worst_p


# --- the generated header -----------------------------------------------

def array_values(header, name):
    body = re.search(r"\b%s\[[^]]*\](?:\[[^]]*\])? (?:PROGMEM )?= \{(.*?)\};" % name,
                     header, re.S).group(1)
    return [float.fromhex(v.strip().rstrip("f")) if "0x" in v else float(v.strip().rstrip("f"))
            for v in body.replace("{", "").replace("}", "").split(",")]


@pytest.mark.parametrize("preset", ["default", "reference"])
def test_header_holds_shared_tables_and_exact_float32_weights(raw, preset):
    config = features.preset(preset)
    model = seed_model(config, raw[0], ACTIVATIONS[preset])
    header = export_header.clapnet_header(model, "m.json", "abc")

    def f32(values):
        return np.asarray(values, dtype=np.float32).astype(float).tolist()

    weights = [v for layer in model["layers"] for row in layer["weights"] for v in row]
    assert array_values(header, "weights") == f32(weights)
    assert array_values(header, "norm_std") == f32(model["normalise"]["std"])
    mel = features.mel_filters(config)
    assert array_values(header, "mel_weights") == f32([w for _, row in mel for w in row])
    assert array_values(header, "mel_first") == [first for first, _ in mel]
    dct = features.dct_matrix(config["n_mfcc"], config["n_mels"])
    assert array_values(header, "dct") == f32(np.ravel(dct))
    window = features.window_function(config)
    assert array_values(header, "window_fn") == (f32(window) if window else [0.0])
    assert model["features_hash"] in header and features.canonical(config) in header


def test_hexfloat_round_trips_float32_exactly():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 10, 500), 10.0 ** rng.uniform(-40, 38, 500),
                             [0.0, -0.0, 1.0, -2.5, 1e-45]])
    for v in values:
        text = export_header.hexfloat(v)
        assert text.endswith("f")
        back = float.fromhex(text[:-1]) if "0x" in text else float(text[:-1])
        assert np.float32(back) == np.float32(v) and float(np.float32(back)) == back


def test_export_header_command(raw, tmp_path, capsys):
    model = seed_model(features.preset("reference"), raw[0], ACTIVATIONS["reference"])
    path = tmp_path / "model.json"
    save_model(model, path)
    assert cli.main(["export-header", str(path), "-o", str(tmp_path / "model.h")]) == 0
    text = (tmp_path / "model.h").read_text()
    assert export_header.file_sha256(path) in text and "namespace model" in text
    assert cli.main(["export-header", str(path), "-o", str(tmp_path / "lw.h"),
                     "--format", "lightweight"]) == 0
    assert "typedef neuralNetworkLayer_t<15, FastTanh, 9, FastTanh, 2>" in \
        (tmp_path / "lw.h").read_text()
    # never overwrite the model, clear errors for missing files and folders
    before = path.read_bytes()
    assert cli.main(["export-header", str(path), "-o", str(path)]) == 2
    assert path.read_bytes() == before
    assert cli.main(["export-header", str(tmp_path / "none.json"), "-o", "x.h"]) == 2
    assert cli.main(["export-header", str(path), "-o", str(tmp_path / "no" / "m.h")]) == 2
    assert cli.main(["export-header", str(path), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "does not exist" in err and "overwrite" in err
    assert "is a folder" in err


@pytest.mark.parametrize("changes, message", [({"refractory": 2.0}, "16 bits"),
                                               ({"energy_floor": 1e-39}, "float32")])
def test_export_refuses_configurations_the_avr_library_cannot_run(raw, tmp_path, changes,
                                                                  message):
    config = features.preset("reference")
    config.update(changes)
    model = seed_model(config, raw[0][:40], ACTIVATIONS["reference"])
    with pytest.raises(export_header.ClapnetError, match=message):
        export_header.export(model, tmp_path / "model.h")
    assert not (tmp_path / "model.h").exists()


# --- 1. the library on the host -----------------------------------------

@pytest.mark.parametrize("preset, changes", [
    ("default", {}), ("reference", {}),
    # a pretrigger (the trigger's other path) and options the presets combine differently
    ("reference", {"pretrigger": 16, "window_fn": "hann", "remove_dc": True, "subframes": 2}),
])
def test_host_library_matches_python_on_all_seed_recordings(raw, tmp_path, preset, changes):
    need_tools("g++")
    config = features.preset(preset)
    config.update(changes)
    model = seed_model(config, raw[0], ACTIVATIONS[preset])
    sketch = avr_build.prepare_sketch(model, tmp_path)
    binary = avr_build.build_host(sketch, tmp_path / "host_detect")
    windows = np.concatenate([raw[0], with_overloads(raw[0], [3, 150])])
    stream = avr_build.make_stream(windows, 4000)
    # windows start 4256 samples apart: pairs of claps within 5000 toggle
    for gap in (0, 5000):
        got = avr_build.parse_events(avr_build.run_host(binary, stream, gap),
                                        len(model["normalise"]["mean"]))
        assert len(got) == len(windows)
        assert sum(e["status"] == "overload" for e in got) == 2
        assert len({e["clap"] for e in got if e["status"] == "ok"}) == 2  # both decisions occur
        compare_events(got, model, stream, gap)


# --- 2. the sketch on the atmega2560 in simavr ---------------------------

@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    need_tools("gcc", "pkg-config")
    need(subprocess.run(["pkg-config", "--exists", "simavr"]).returncode == 0,
         "libsimavr-dev (pkg-config simavr)")
    return avr_build.build_harness(tmp_path_factory.mktemp("harness") / "harness")


@pytest.mark.parametrize("preset", ["default", "reference"])
def test_avr_firmware_in_simavr_matches_python(raw, harness, tmp_path, preset):
    need_tools("avr-g++", "avr-size")
    model = seed_model(features.preset(preset), raw[0], ACTIVATIONS[preset])
    sketch = avr_build.prepare_sketch(model, tmp_path)
    elf = avr_build.build_avr(sketch, tmp_path / "clapnet.elf")
    flash, sram = avr_build.avr_size(elf)
    assert 0 < flash < 256 * 1024 and 0 < sram < 8 * 1024
    x, y = raw
    rows = list(np.flatnonzero(y == 1)[:11]) + list(np.flatnonzero(y == 0)[:11])
    windows = np.concatenate([x[rows], with_overloads(x, [5])])
    # a gap longer than the refractory time plus the firmware's work per window
    stream = avr_build.make_stream(windows, 12000)
    got = avr_build.parse_events(avr_build.run_simavr(harness, elf, stream),
                                    len(model["normalise"]["mean"]))
    assert len(got) == len(windows)
    compare_events(got, model, stream)


def test_arduino_core_build_runs_the_same_in_simavr(raw, harness, tmp_path):
    need_tools("arduino-builder")
    model = seed_model(features.preset("reference"), raw[0], ACTIVATIONS["reference"])
    sketch = avr_build.prepare_sketch(model, tmp_path)
    elf = avr_build.build_arduino(sketch, tmp_path / "build")
    windows = raw[0][:8]
    stream = avr_build.make_stream(windows, 6000)
    got = avr_build.parse_events(avr_build.run_simavr(harness, elf, stream),
                                    len(model["normalise"]["mean"]))
    assert len(got) == len(windows)
    compare_events(got, model, stream)


def test_shipped_sketch_builds_as_it_is(tmp_path):
    # device/avr/clapnet/model.h is generated: it must still fit the library
    need_tools("avr-g++", "avr-size", "g++")
    elf = avr_build.build_avr(avr_build.SKETCH, tmp_path / "clapnet.elf", verbose=False)
    flash, sram = avr_build.avr_size(elf)
    assert 0 < flash < 256 * 1024 and 0 < sram < 8 * 1024
    avr_build.build_host(avr_build.SKETCH, tmp_path / "host_detect")


# --- 3. --format lightweight on the reference template -------------------

@pytest.mark.parametrize("labels, activations", [(("clap", "other"), ("fast_tanh", "fast_tanh")),
                                                 (("other", "clap"), ("tanh", "relu", "sigmoid"))])
def test_lightweight_header_on_template_matches_python(raw, tmp_path, labels, activations):
    need_tools("g++")
    config = features.preset("reference")
    model = seed_model(config, raw[0], activations, labels)
    export_header.export(model, tmp_path / "model_lightweight.h", "lightweight")
    template = avr_build.TOOLS / "lightweight"
    binary = tmp_path / "check_model"
    avr_build.run_tool(["g++", "-O2", "-std=gnu++11", "-Wall", "-I", template, "-I", tmp_path,
                           template / "check_model.cpp", "-o", binary], "lightweight build")
    ex = features.Features(config, "numpy")
    f = np.array([ex.extract(w.tolist(), 1 / 512) for w in raw[0]])
    lines = subprocess.run([str(binary)], input=f.astype("<f4").tobytes(), capture_output=True,
                           check=True).stdout.decode().splitlines()
    got = np.array([avr_build.bits_to_floats(line.split()[:-1]) for line in lines])
    decided = np.array([line.split()[-1] == "1" for line in lines])
    net = network.Network(model)
    expect = np.array([net.forward(list(row)) for row in f])
    clap = labels.index("clap")
    # the header puts the clap output first, as the reference sketch reads it
    assert got.shape == (len(f), len(labels))
    assert np.max(np.abs(got[:, 0] - expect[:, clap])) <= TOLERANCE
    assert np.max(np.abs(got.sum(1) - 1)) <= TOLERANCE
    assert (decided == (expect[:, clap] >= model["threshold"])).all()
    assert 0 < decided.sum() < len(f)


def test_lightweight_refuses_activations_the_template_lacks(raw, tmp_path, capsys):
    model = seed_model(features.preset("reference"), raw[0], ("relu", "linear"))
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model))
    assert cli.main(["export-header", str(path), "-o", str(tmp_path / "lw.h"),
                     "--format", "lightweight"]) == 2
    assert "linear" in capsys.readouterr().err and not (tmp_path / "lw.h").exists()


def test_bench_avr_command_prints_cycles_and_sizes(harness, capsys):
    need_tools("avr-g++", "avr-size")
    assert cli.main(["bench", "avr", "--preset", "reference", "--windows", "3"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("reference "))
    fields = row.split()
    features_cycles, flash, sram, worst = int(fields[1]), int(fields[6]), int(fields[7]), \
        float(fields[9])
    assert 1e5 < features_cycles < 1e7 and 0 < flash < 256 * 1024 and 0 < sram < 8192
    assert worst <= TOLERANCE
