"""An emulated ESP32 for tests and demos: the MicroPython unix port behind a pty.

    python tools/board_emulator.py --flash DIR --adc stream.wav [--led-log FILE] [--link PATH]

prints the pty's path and serves until killed. Point mpremote (or `clapnet
push/run/record --port`) at that path as if it were a board's USB serial port.

What it emulates:
- flash: DIR is the board's file system (the unix port runs with DIR as its
  working directory, so `mpremote cp x :x` lands in DIR);
- soft reset: the unix port exits on Ctrl-D in the raw REPL (a board reboots),
  so the bridge starts a fresh interpreter in the same folder, prints the
  board's "soft reboot" line and re-enters the raw REPL; Python state is lost,
  files persist, as on a board;
- hardware: tools/emulator_hw/hw.py replaces device/hw.py (it comes first on the
  interpreter's path; `machine` is left alone). Its ADC replays the --adc WAV
  one sample per sample period (sample index = time) and signals the end of
  the recording; its LED writes "sample_index state" lines to --led-log.

Importable from tests: `with BoardEmulator(flash, adc=wav) as board: board.port`.
"""
import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

HERE = Path(__file__).resolve().parent
FAKE_HW = HERE / "emulator_hw"

CTRL_A = 1  # enter raw REPL
CTRL_B = 2  # leave raw REPL
SOFT_REBOOT = b"MPY: soft reboot\r\n"
FRAME_MARK = b"@W "  # window frames of the record protocol (device/record.py)


def find_micropython():
    from clapnet import micropython
    from clapnet.errors import ClapnetError
    try:
        return micropython.command()
    except ClapnetError as e:
        raise SystemExit("board_emulator: %s" % e)


def model_rate(flash):
    """Sample rate of the model on the emulated flash, or None."""
    import json
    try:
        with open(Path(flash) / "model.json") as f:
            return int(json.load(f)["features"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def prepare_adc(wav, rate, out_path):
    """Write the WAV as raw little-endian int16 at `rate` (resampled with soxr if
    needed) for the fake ADC; return the rate written."""
    try:
        data, file_rate = sf.read(str(wav), dtype="float64", always_2d=True)
    except RuntimeError as e:
        raise SystemExit("board_emulator: cannot read %s: %s" % (wav, e))
    mono = data.mean(axis=1)
    rate = rate or file_rate
    if rate != file_rate:
        mono = soxr.resample(mono, file_rate, rate)
    counts = np.clip(np.round(mono * 32768), -32768, 32767).astype("<i2")
    tmp = str(out_path) + ".tmp"
    counts.tofile(tmp)
    os.replace(tmp, out_path)
    return rate


class BoardEmulator:
    """The unix port behind a pty, restarted on soft reset. Use as a context
    manager or call start()/stop(). `port` is the path to give mpremote."""

    def __init__(self, flash, adc=None, led_log=None, link=None, micropython=None,
                 corrupt_frames=(), adc_faults=(), file_limit=None, log=None):
        self.flash = Path(flash).resolve()
        self.adc = adc
        self.led_log = led_log
        self.link = link
        self.micropython = micropython or find_micropython()
        # test hook: frame numbers (0 = first window frame) to damage in
        # transit, as a noisy USB cable would
        self.corrupt_frames = set(corrupt_frames)
        # test hook: ADC block reads (0 = first) that fail with an OSError
        self.adc_faults = list(adc_faults)
        # test hook: no file on the flash may grow past this many bytes (a
        # nearly full flash: writes fail with an OSError)
        self.file_limit = file_limit
        self.log = log or (lambda msg: None)
        self.port = None
        self.boots = 0
        self._stop = threading.Event()
        self._thread = None
        self._child = None
        self._work = None  # private folder for the ADC's sample file

    # --- lifecycle ----------------------------------------------------------
    def start(self):
        self.flash.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(prefix="clapnet-emulator-"))
        self._adc_raw = self._work / "adc.raw"
        self.client, self._client_slave = os.openpty()
        tty.setraw(self._client_slave)
        # the bridge keeps the slave open too, so a client closing the port
        # does not make reads on our side fail
        self.port = os.ttyname(self._client_slave)
        if self.link:
            if os.path.lexists(self.link):
                os.unlink(self.link)
            os.symlink(self.port, self.link)
        self._spawn(raw=False)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._kill_child()
        for fd in (self.client, self._client_slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.link and os.path.islink(self.link):
            os.unlink(self.link)
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- the interpreter ----------------------------------------------------
    def _spawn(self, raw):
        env = dict(os.environ)
        # sys.path becomes [FAKE_HW, "", "lib"] (see _emulator_boot.py):
        # the emulated hardware, the flash, and lib/ for mip installs
        env["MICROPYPATH"] = ":lib"
        if self.adc:
            rate = prepare_adc(self.adc, model_rate(self.flash), self._adc_raw)
            env["CLAPNET_EMU_ADC"] = str(self._adc_raw)
            env["CLAPNET_EMU_ADC_RATE"] = str(rate)
        else:
            env.pop("CLAPNET_EMU_ADC", None)
        env["CLAPNET_EMU_ADC_FAULTS"] = ",".join(str(b) for b in self.adc_faults)
        if self.led_log:
            env["CLAPNET_EMU_LED_LOG"] = str(Path(self.led_log).resolve())
        master, slave = os.openpty()
        tty.setraw(slave)  # no newline translation or echo: a UART passes bytes as they are
        self._child = subprocess.Popen(
            [self.micropython, "-i", str(FAKE_HW / "_emulator_boot.py")],
            stdin=slave, stdout=slave, stderr=slave, cwd=str(self.flash), env=env,
            start_new_session=True, preexec_fn=self._limit_files if self.file_limit else None)
        os.close(slave)
        self._board = master
        self._ready = False  # until the new interpreter shows its prompt
        self._want_raw = raw
        self._seen = b""
        self._raw = False
        self.boots += 1
        self.log("board: interpreter started (boot %d)" % self.boots)

    def _limit_files(self):
        # in the child, before micropython starts: a write past the limit
        # fails with EFBIG instead of killing the process
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.file_limit, self.file_limit))

    def _kill_child(self):
        child = self._child
        if child and child.poll() is None:
            child.kill()
        if child:
            child.wait()
        try:
            os.close(self._board)
        except OSError:
            pass

    # --- the bridge ---------------------------------------------------------
    def _serve(self):
        pending = b""  # client bytes held back while the interpreter starts
        frame_count = 0
        corrupt_in = -1  # bytes until the byte to damage, -1 = none
        tail = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.client, self._board], [], [], 0.1)
            except (OSError, ValueError):
                break
            if self.client in ready:
                try:
                    data = os.read(self.client, 4096)
                except OSError:
                    data = b""
                for b in data:
                    if b == CTRL_A:
                        self._raw = True
                    elif b == CTRL_B:
                        self._raw = False
                pending += data
            if self._board in ready:
                try:
                    data = os.read(self._board, 4096)
                except OSError:
                    data = b""  # EIO: the interpreter exited
                if not data:
                    self._restart()
                    continue
                if not self._ready:
                    self._seen = (self._seen + data)[-64:]
                    if self._seen.endswith(b">>> "):
                        self._ready = True
                        if self._want_raw:
                            pending = bytes([CTRL_A]) + pending
                            self._raw = True
                if self.corrupt_frames:
                    data, frame_count, corrupt_in, tail = self._damage(
                        data, frame_count, corrupt_in, tail)
                self._write_client(data)
            if pending and self._ready:
                try:
                    os.write(self._board, pending)
                except OSError:
                    pass
                pending = b""

    def _restart(self):
        was_raw = self._raw
        self._kill_child()
        if self._stop.is_set():
            return
        self._write_client(SOFT_REBOOT)
        self._spawn(raw=was_raw)

    def _write_client(self, data):
        while data:
            try:
                n = os.write(self.client, data)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except OSError:
                return
            data = data[n:]

    def _damage(self, data, frame_count, corrupt_in, tail):
        """Flip one byte inside the payload of the chosen window frames."""
        out = bytearray(data)
        seen = tail
        for i in range(len(out)):
            if corrupt_in >= 0:
                if corrupt_in == 0:
                    out[i] ^= 0x01
                corrupt_in -= 1
            seen = (seen + bytes([out[i]]))[-len(FRAME_MARK):]
            if seen == FRAME_MARK:
                if frame_count in self.corrupt_frames:
                    corrupt_in = 60  # well inside the base64 payload
                frame_count += 1
        return bytes(out), frame_count, corrupt_in, seen


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Emulated ESP32: runs the MicroPython unix port behind a pty, with "
                    "a fake ADC replaying a WAV and a logged LED. Prints the pty path "
                    "(use it as --port / mpremote connect PATH) and serves until killed.")
    parser.add_argument("--flash", required=True,
                        help="folder that acts as the board's flash (created if missing)")
    parser.add_argument("--adc", help="WAV file the ADC replays (resampled to the model's "
                                      "rate when a model.json is on the flash)")
    parser.add_argument("--led-log", help="file that receives 'sample_index state' lines "
                                          "for every LED change")
    parser.add_argument("--link", help="also make a symlink to the pty at this path")
    parser.add_argument("--quiet", action="store_true", help="do not log interpreter restarts")
    args = parser.parse_args(argv)
    if args.adc and not os.path.exists(args.adc):
        parser.error("--adc %s: no such file" % args.adc)
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    board = BoardEmulator(args.flash, adc=args.adc, led_log=args.led_log, link=args.link,
                          log=log)
    board.start()
    print(args.link or board.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    board.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
