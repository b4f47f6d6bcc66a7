"""A MicroPython board on a serial port, through mpremote's Python API.

`Board(port)` connects and turns mpremote's failures into ClapnetErrors that
say what to do (no port, port busy, not MicroPython, flash full). On top of
mpremote's file transfer it adds what a safe deploy needs: `write_atomic`
(temporary name, sha256 checked on the board, rename, optional backup of the
previous file). clapnet.board.push builds the deploy on it.
"""
import contextlib
import errno
import hashlib
import io
import os
import sys

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from ..errors import ClapnetError

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
