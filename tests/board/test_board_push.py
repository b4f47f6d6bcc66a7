"""`clapnet push` against the emulated board: atomic replacement, the backup
model, refusal of bad models on the board, and clear connection errors."""
import hashlib
import json
import os
import pty
import signal
import subprocess
import time
import tty

import pytest
import serial

from clapnet.board import connection as board_conn
from clapnet.board import push as board_push
from clapnet.errors import ClapnetError
from tests.conftest import ROOT
from tests.helpers import (clapnet, led_changes, mpremote, random_model_file, seed_windows,
                           tool, write_stream)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_main(port):
    return mpremote(port, "run", str(ROOT / "device" / "main.py"))


@pytest.fixture
def stream(seed_dir, tmp_path):
    x, _ = seed_windows(seed_dir)
    path = tmp_path / "stream.wav"
    write_stream(path, x[:6])
    return path


def test_push_copies_everything_verifies_and_keeps_a_backup(emulator, tmp_path, stream):
    first = random_model_file(tmp_path / "first.json", seed=1)
    second = random_model_file(tmp_path / "second.json", seed=2)
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(first))
    flash = board.flash
    for src in (ROOT / "shared").glob("*.py"):
        assert sha(flash / "shared" / src.name) == sha(src)
    for name in board_push.DEVICE_MODULES:
        assert sha(flash / name) == sha(ROOT / "device" / name)
    assert sha(flash / "model.json") == sha(first)
    assert not list(flash.rglob("*.tmp"))

    again = clapnet("push", "--port", board.port, str(first))
    assert "0 of" in again.stdout  # nothing changed, nothing rewritten
    assert not (flash / "model.bak.json").exists()

    clapnet("push", "--port", board.port, str(second))
    assert sha(flash / "model.json") == sha(second)
    assert sha(flash / "model.bak.json") == sha(first)
    out = run_main(board.port)
    assert "model: model.json" in out and sha(second)[:12] in out
    assert "end of input" in out


def test_interrupted_push_leaves_the_previous_model_running(emulator, tmp_path, stream):
    old = random_model_file(tmp_path / "old.json", seed=1)
    # a big model, so the copy takes long enough to be cut in the middle
    big = random_model_file(tmp_path / "big.json", hidden=400, seed=2)
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(old))
    tmp = board.flash / "model.json.tmp"
    proc = subprocess.Popen([tool("clapnet"), "push", "--port", board.port, str(big)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp.exists() and tmp.stat().st_size > 0):
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)  # like pulling the USB cable mid-copy
    proc.wait()
    assert tmp.exists() and 0 < tmp.stat().st_size < big.stat().st_size, \
        "the push was not caught in the middle of the model copy"
    assert sha(board.flash / "model.json") == sha(old)
    out = run_main(board.port)
    assert sha(old)[:12] in out and "refused" not in out
    # the next push completes the job
    clapnet("push", "--port", board.port, str(big))
    assert sha(board.flash / "model.json") == sha(big)
    assert not tmp.exists()


@pytest.mark.parametrize("damage", ["truncated", "other_version"])
def test_board_refuses_a_bad_model_and_falls_back_to_the_backup(emulator, tmp_path, stream,
                                                                 damage):
    old = random_model_file(tmp_path / "old.json", seed=1)
    new = random_model_file(tmp_path / "new.json", seed=2)
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(old))
    clapnet("push", "--port", board.port, str(new))
    model_file = board.flash / "model.json"
    if damage == "truncated":  # flash corruption / a copy made by hand
        model_file.write_bytes(model_file.read_bytes()[:500])
        expected = "not valid JSON"
    else:  # a model made by a newer clapnet, copied with mpremote cp
        model = json.loads(model_file.read_text())
        model["features"]["version"] = 2
        model_file.write_text(json.dumps(model))
        expected = "feature configuration version 2"
    out = run_main(board.port)
    assert "model refused" in out and expected in out
    assert "model: model.bak.json" in out and sha(old)[:12] in out
    assert "end of input" in out
    # three blinks (on/off pairs) before listening starts
    assert [state for _, state in led_changes(board)][:6] == [1, 0, 1, 0, 1, 0]


def test_no_usable_model_at_all_is_reported(emulator, tmp_path, stream):
    board = emulator(adc=stream)
    clapnet("push", "--port", board.port, str(random_model_file(tmp_path / "m.json")))
    (board.flash / "model.json").unlink()
    out = run_main(board.port)
    assert "no usable model" in out and "clapnet push" in out


def test_push_refuses_a_bad_model_before_touching_the_board(emulator, tmp_path):
    board = emulator()
    path = random_model_file(tmp_path / "m.json")
    model = json.loads(path.read_text())
    model["features"]["n_mels"] = 24  # hash no longer matches
    path.write_text(json.dumps(model))
    result = clapnet("push", "--port", board.port, str(path), check=False)
    assert result.returncode == 2
    assert "features_hash does not match" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (board.flash / "model.json").exists()


def test_push_mpy_runs_the_same_firmware(emulator, tmp_path, stream):
    model = random_model_file(tmp_path / "m.json", seed=3)
    plain = emulator(adc=stream)
    compiled = emulator(adc=stream)
    clapnet("push", "--port", plain.port, str(model))
    clapnet("push", "--port", compiled.port, "--mpy", str(model))
    assert (compiled.flash / "shared" / "features.mpy").exists()
    assert not (compiled.flash / "shared" / "features.py").exists()
    assert (compiled.flash / "hw.py").exists()  # viper code is compiled on the board
    out_plain = run_main(plain.port)
    out_mpy = run_main(compiled.port)
    events = [line for line in out_plain.splitlines() if " p=" in line]
    assert len(events) == 6
    assert events == [line for line in out_mpy.splitlines() if " p=" in line]


# --- connection errors ----------------------------------------------------------------
def test_no_port_and_missing_port_are_clear_errors(tmp_path):
    model = str(random_model_file(tmp_path / "m.json"))
    result = clapnet("push", model, check=False)
    assert result.returncode == 2 and "no serial port given" in result.stderr
    result = clapnet("push", "--port", str(tmp_path / "ttyNOPE"), model, check=False)
    assert result.returncode == 2 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_port_is_a_clear_error(emulator, tmp_path):
    board = emulator()
    holder = serial.Serial(board.port, exclusive=True)  # e.g. a serial monitor
    try:
        result = clapnet("push", "--port", board.port, str(random_model_file(tmp_path / "m.json")),
                         check=False)
    finally:
        holder.close()
    assert result.returncode == 2 and "busy" in result.stderr


def test_device_that_is_not_micropython_is_a_clear_error(tmp_path):
    # a serial device that answers, but not like MicroPython
    master, slave = pty.openpty()
    tty.setraw(slave)
    os.write(master, b"AT OK\r\n")
    try:
        with pytest.raises(ClapnetError, match="does not answer like MicroPython"):
            board_conn.Board(os.ttyname(slave), timeout=1)
    finally:
        os.close(master)
        os.close(slave)


def test_mip_package_installs_a_working_firmware(emulator, tmp_path, stream):
    listed = json.loads((ROOT / "package.json").read_text())["urls"]
    sources = {src for _, src in listed}
    # every shared module and every device module the firmware imports is listed
    assert {"shared/" + p.name for p in (ROOT / "shared").glob("*.py")} <= sources
    assert {"device/" + name for name in board_push.DEVICE_MODULES} <= sources
    board = emulator(adc=stream)
    model = random_model_file(tmp_path / "m.json")
    mpremote(board.port, "mip", "install", "--target", "lib", str(ROOT / "package.json"),
             "+", "fs", "cp", str(model), ":model.json")
    for target, src in listed:
        assert sha(board.flash / "lib" / target) == sha(ROOT / src)
    out = run_main(board.port)
    assert "model: model.json" in out and "end of input" in out
    assert len([line for line in out.splitlines() if " p=" in line]) == 6


def test_main_loop_survives_input_errors_and_gives_up_on_many(emulator, tmp_path, stream):
    model = random_model_file(tmp_path / "m.json")
    flaky = emulator(adc=stream, adc_faults=[3, 4])  # in the quiet before the first sound
    clapnet("push", "--port", flaky.port, str(model))
    out = run_main(flaky.port)
    assert out.count("error in main loop") == 2 and "emulated ADC read error" in out
    assert len([line for line in out.splitlines() if " p=" in line]) == 6
    assert "end of input" in out

    broken = emulator(adc=stream, adc_faults=range(40))
    clapnet("push", "--port", broken.port, str(model))
    out = run_main(broken.port)
    assert "giving up after 20 errors in a row" in out and "done:" in out


def test_full_flash_is_a_clear_error_and_keeps_the_old_model(emulator, tmp_path, stream):
    old = random_model_file(tmp_path / "old.json", seed=1)
    big = random_model_file(tmp_path / "big.json", hidden=200, seed=2)
    board = emulator(adc=stream, file_limit=64 * 1024)  # no file may grow past 64 KB
    clapnet("push", "--port", board.port, str(old))
    result = clapnet("push", "--port", board.port, str(big), check=False)
    assert result.returncode == 2
    assert "flash is full" in result.stderr and "Traceback" not in result.stderr
    assert sha(board.flash / "model.json") == sha(old)
    assert not (board.flash / "model.json.tmp").exists()
    assert sha(old)[:12] in run_main(board.port)
