"""Where the files clapnet copies, builds or runs live.

From a source checkout they are the repository's top-level folders (device/,
shared/, tools/); in an installed wheel the same folders travel inside the
package (clapnet/device, clapnet/shared, clapnet/tools). Everything else in
clapnet asks here instead of building paths from __file__.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # the repository, when running from a checkout


def _folder(name, marker):
    """CHECKOUT/name in a source checkout, else the copy inside the package."""
    for base in (CHECKOUT, PACKAGE):
        if (base / name / marker).exists():
            return base / name
    raise FileNotFoundError(
        "clapnet's %s/ folder is missing (looked in %s and %s): reinstall clapnet"
        % (name, CHECKOUT, PACKAGE))


def device():
    """The MicroPython firmware (main.py, hw.py, ...) and device/avr/ (the Mega sketch)."""
    return _folder("device", "main.py")


def shared():
    """The shared/ package as the board gets it (the same files the host imports
    as clapnet.shared)."""
    from . import shared as package
    return Path(package.__file__).resolve().parent


def tools():
    """The emulated board, the simavr harness and benchmark helpers."""
    return _folder("tools", "board_emulator.py")


def seed_recordings():
    """../shared/data/seed-recordings beside a checkout: the reference hardware's
    229 recordings, for benchmarks and tests (None when it is not there)."""
    path = CHECKOUT.parent / "shared" / "data" / "seed-recordings"
    return path if path.is_dir() else None
