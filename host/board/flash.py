"""Put a MicroPython firmware on an ESP32 with esptool: erase, then write.

The user brings the firmware (.bin from micropython.org, or a build with ulab
for faster features). Erasing wipes the board's files, so we ask first.
"""
import subprocess
import sys
from pathlib import Path

from ..errors import ClapnetError

# where the firmware image starts in flash, per chip (MicroPython's own
# download pages give the same offsets)
OFFSETS = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0,
           "esp32c6": 0x0}
IMAGE_MAGIC = 0xE9  # first byte of every ESP32 application/bootloader image


def check_firmware(path):
    path = Path(path)
    if not path.is_file():
        raise ClapnetError("firmware file %s not found: download a MicroPython .bin for your "
                           "board from https://micropython.org/download/" % path)
    with open(path, "rb") as f:
        head = f.read(1)
    if not head or head[0] != IMAGE_MAGIC:
        raise ClapnetError("%s is not an ESP32 firmware image (it does not start with byte "
                           "0xE9): use the .bin file, not a .zip, .uf2 or .elf" % path)
    return path


def esptool(common, *command):
    """Run the installed esptool; it prints its own progress and errors."""
    result = subprocess.run([sys.executable, "-m", "esptool", *common, *command])
    if result.returncode != 0:
        raise ClapnetError("esptool %s failed (exit %d, see its output above): check --port, "
                           "and hold the board's BOOT button while it connects if needed"
                           % (command[0], result.returncode))


def flash_firmware(firmware, port, chip="esp32", baud=460800, yes=False, ask=input):
    """Erase the board's flash and write `firmware`, after asking unless `yes`."""
    if not port:
        raise ClapnetError("no serial port given: use --port PORT (e.g. /dev/ttyUSB0)")
    firmware = check_firmware(firmware)
    if chip not in OFFSETS:
        raise ClapnetError("unknown chip %r (choose from %s)" % (chip, ", ".join(OFFSETS)))
    offset = OFFSETS[chip]
    if not yes:
        answer = ask("This ERASES everything on the %s at %s (files, model, calibration) and "
                     "writes %s at 0x%x. Continue? [y/N] " % (chip, port, firmware.name, offset))
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing done")
            return False
    common = ["--chip", chip, "--port", port, "--baud", str(baud)]
    esptool(common, "erase-flash")
    esptool(common, "write-flash", "-z", "0x%x" % offset, str(firmware))
    print("firmware written: next, `clapnet push --port %s model.json`" % port)
    return True
