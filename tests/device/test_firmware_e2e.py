"""The firmware on the emulated board, end to end, with the real CLIs:
train on part of the seed recordings (`clapnet train`), `clapnet push`, then
`mpremote connect PORT run device/main.py` on a stream of the other part."""
import json
import re

import numpy as np
import pytest
import soundfile as sf

from clapnet.shared import detector
from tests.conftest import ROOT
from tests.helpers import (RATE, clapnet, led_changes, mpremote, seed_windows, train,
                           write_dataset, write_stream)

EVENT = re.compile(r"^(clap|not a clap) p=([0-9.]+) at=(\d+)$", re.M)


@pytest.fixture(scope="module")
def trained(seed_dir, tmp_path_factory):
    """Train on 3 of every 4 recordings; the 4th quarter is never seen in training."""
    x, y = seed_windows(seed_dir)
    rows = np.arange(len(y))
    held_out = rows % 4 == 0
    work = tmp_path_factory.mktemp("trained")
    write_dataset(work / "data", x[~held_out], y[~held_out])
    model = train(work / "data", work / "model.json")
    order = np.random.default_rng(1).permutation(np.flatnonzero(held_out))
    return {"model": model, "x": x[order], "y": y[order], "work": work}


def host_events(model_path, wav, gap=0.0):
    model = json.loads(model_path.read_text())
    samples, _ = sf.read(str(wav), dtype="int16")
    return detector.Detector(model, 32768, gap).run(samples.tolist())


def toggled(starts, changes, size):
    """Per take: did the LED change while it (and the quiet after it) played?"""
    bounds = list(starts) + [10 ** 12]
    return np.array([any(bounds[i] <= t < bounds[i + 1] for t, _ in changes)
                     for i in range(len(starts))])


def test_firmware_toggles_the_led_for_claps_on_the_emulated_board(trained, emulator, tmp_path):
    stream = tmp_path / "stream.wav"
    starts = write_stream(stream, trained["x"])
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(trained["model"]))
    out = mpremote(board.port, "run", str(ROOT / "device" / "main.py"))
    assert "sampling at %d Hz (model %d Hz)" % (RATE, RATE) in out
    assert "end of input" in out

    hits = toggled(starts, led_changes(board), len(starts))
    y = trained["y"]
    clap_rate = hits[y == 1].mean()
    other_rate = hits[y == 0].mean()
    print("LED toggled for %d/%d claps (%.1f%%) and %d/%d others (%.1f%%)"
          % (hits[y == 1].sum(), (y == 1).sum(), 100 * clap_rate,
             hits[y == 0].sum(), (y == 0).sum(), 100 * other_rate))
    assert clap_rate >= 0.90
    assert other_rate <= 0.10

    # the board decides exactly as `clapnet detect`'s detector on the host
    board_events = [(int(at), kind == "clap", float(p)) for kind, p, at in EVENT.findall(out)]
    host = host_events(trained["model"], stream)
    assert [(e.start, e.clap) for e in host] == [(s, c) for s, c, _ in board_events]
    diff = max(abs(e.p - p) for e, (_, _, p) in zip(host, board_events))
    print("max |p board - p host| = %.4f (board prints 2 decimals)" % diff)
    assert diff <= 0.0051  # half of the last printed digit, plus float rounding
    # each LED change comes with the block holding the end of a toggling window
    window = json.loads(trained["model"].read_text())["features"]["window"]
    ends = [e.start + window for e in host if e.toggle]
    changes = [t for t, _ in led_changes(board)]
    assert len(changes) == len(ends)
    assert all(end <= t < end + 256 for t, end in zip(changes, ends))


def test_double_clap_mode_toggles_on_pairs_only(trained, emulator, tmp_path):
    # claps the model recognises, in pairs 0.2 s apart and alone 0.7 s apart
    model = json.loads(trained["model"].read_text())
    x, y = trained["x"], trained["y"]
    claps = [w for w, label in zip(x, y) if label == 1][:8]
    stream = tmp_path / "pairs.wav"
    rng = np.random.default_rng(2)
    quiet = lambda s: rng.normal(0, 100, int(s * RATE))  # noqa: E731
    pieces = [quiet(0.7), claps[0], quiet(0.2), claps[1], quiet(0.7),  # a pair
              claps[2], quiet(0.7),  # alone
              claps[3], quiet(0.2), claps[4], quiet(0.7),  # a pair
              claps[5], quiet(0.7), claps[6], quiet(0.7)]  # alone, alone
    sf.write(str(stream), np.clip(np.concatenate(pieces), -32768, 32767).astype(np.int16),
             RATE, subtype="PCM_16")
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(trained["model"]))
    config = board.flash / "config.py"  # the user edits config.py on the board
    config.write_text(config.read_text().replace("DOUBLE_CLAP_GAP = 0.0",
                                                 "DOUBLE_CLAP_GAP = 0.5"))
    out = mpremote(board.port, "run", str(ROOT / "device" / "main.py"))
    assert "double-clap mode" in out
    host = host_events(trained["model"], stream, gap=0.5)
    detected = sum(e.clap for e in host)
    toggles = [e.start for e in host if e.toggle]
    print("double-clap stream: %d claps detected, %d toggles" % (detected, len(toggles)))
    assert detected >= 5 and 0 < len(toggles) < detected
    changes = [t for t, _ in led_changes(board)]
    assert len(changes) == len(toggles)
    assert all(start + 256 <= t < start + 512 for t, start in zip(changes, toggles))
    assert model["threshold"] > 0  # the model was the trained one, not a placeholder


def test_calibration_sets_midpoint_and_trigger_level(trained, emulator, tmp_path):
    # one second of room noise, with the microphone's bias 900 counts above centre
    rng = np.random.default_rng(3)
    noise = np.round(rng.normal(900, 400, 2 * RATE)).astype(np.int16)
    wav = tmp_path / "room.wav"
    sf.write(str(wav), noise, RATE, subtype="PCM_16")
    board = emulator(adc=wav)
    clapnet("push", "--port", board.port, str(trained["model"]))
    result = clapnet("run", "--port", board.port, str(ROOT / "device" / "calibrate.py"))
    saved = json.loads((board.flash / "calibration.json").read_text())
    print(result.stdout.strip())
    heard = (RATE // 256 + 1) * 256  # calibrate.py listens for whole blocks, >= 1 s
    first = noise[:heard].astype(float)
    assert abs(saved["midpoint"] - (32768 + first.mean())) <= 1
    assert saved["noise_rms"] == pytest.approx(first.std() / 32768, rel=0.02)
    peak = np.abs(first - first.mean()).max() / 32768
    assert saved["trigger_level"] == pytest.approx(max(4 * peak, 0.05), rel=0.02)
    out = clapnet("run", "--port", board.port).stdout
    assert "trigger level %.3f (calibrated)" % saved["trigger_level"] in out
