"""Host side of `clapnet record`: windows streamed by the board become WAV files.

The board runs device/record.py, which prints one line per trigger-aligned
window (format described there). Here each line is checked (crc32 over the
header and the samples) and written to DATA_DIR/<label>/ under a new unique
name; a damaged line is reported and dropped, never saved.
"""
import binascii
import datetime
import os
import select
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from .connection import Board
from ..errors import ClapnetError


class FrameError(ValueError):
    pass


def parse_frame(line):
    """(seq, rate, samples int16 array, peak) from one '@W ...' line, or FrameError."""
    parts = line.strip().split(" ")
    if len(parts) != 7 or parts[0] != "@W":
        raise FrameError("not a window frame")
    try:
        seq, rate, n, peak = (int(v) for v in parts[1:5])
        crc = int(parts[5], 16)
        payload = binascii.a2b_base64(parts[6])
    except (ValueError, binascii.Error):
        raise FrameError("damaged frame (unreadable fields)") from None
    header = " ".join(parts[1:5]).encode()
    if binascii.crc32(payload, binascii.crc32(header)) != crc:
        raise FrameError("damaged frame (checksum mismatch)")
    if len(payload) != 2 * n or rate <= 0:
        raise FrameError("frame length does not match its header")
    samples = np.frombuffer(payload, dtype="<i2")
    return seq, rate, samples, peak


def unique_path(folder, label):
    """A file name in folder that no take has used: label-date-time-counter.wav."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    k = 0
    while True:
        path = folder / ("%s-%s-%03d.wav" % (label, stamp, k))
        if not path.exists():
            return path
        k += 1


def save_take(folder, label, samples, rate):
    """Write one window as 16-bit WAV without ever replacing an existing file."""
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        path = unique_path(folder, label)
        tmp = folder / (".%s.tmp.wav" % path.stem)
        sf.write(str(tmp), samples, rate, subtype="PCM_16")
        try:
            os.link(tmp, path)  # fails if the name was taken meanwhile
        except FileExistsError:
            os.unlink(tmp)
            continue
        os.unlink(tmp)
        return path


def drop_take(path, data_dir):
    """Move a take to DATA_DIR/.dropped/ (kept, in case it was a mistake)."""
    dropped = Path(data_dir) / ".dropped"
    dropped.mkdir(exist_ok=True)
    target = dropped / path.name
    os.replace(path, target)
    return target


def dbfs(peak):
    return 20 * np.log10(max(peak, 1) / 32768)


def record(port, data_dir, label, count, timeout=30.0, interactive=None, out=sys.stderr):
    """Save `count` windows from the board as DATA_DIR/label/*.wav; return their paths.

    interactive: read 'd' + Enter from stdin to drop the last take (default:
    when stdin is a terminal).
    """
    if count < 1:
        raise ClapnetError("--count must be at least 1")
    if not label or "/" in label or label.startswith("."):
        raise ClapnetError("--label %r is not a usable folder name (e.g. clap, other)" % label)
    folder = Path(data_dir) / label
    if interactive is None:
        interactive = sys.stdin.isatty() and os.name == "posix"  # select() on stdin
    saved = []
    rejected = 0
    with Board(port) as board:
        serial_port = board.transport.serial
        board.transport.exec_raw_no_follow("import record\nrecord.main()")
        serial_port.timeout = timeout
        bar = tqdm(total=count, unit="take", desc="recording %s" % label, file=out)

        def say(message):
            bar.write(message, file=out)

        if interactive:
            say("make the sound when ready; type d + Enter to drop the last take")
        try:
            while len(saved) < count:
                if interactive and _typed_drop():
                    if saved:
                        target = drop_take(saved.pop(), data_dir)
                        bar.update(-1)
                        say("dropped the last take (moved to %s)" % target)
                    continue
                raw = serial_port.readline()
                if not raw:
                    raise ClapnetError("the board sent nothing for %.0f s: is record.py on "
                                       "the board (`clapnet push`)?" % timeout)
                line = raw.decode("ascii", "replace").strip("\r\n\x04> ")
                if line.startswith("OK"):  # the raw REPL's "command accepted"
                    line = line[2:]
                if line.startswith("@W"):
                    try:
                        seq, rate, samples, peak = parse_frame(line)
                    except FrameError as e:
                        rejected += 1
                        say("rejected a window: %s" % e)
                        continue
                    path = save_take(folder, label, samples, rate)
                    saved.append(path)
                    bar.set_postfix_str("peak %.1f dBFS" % dbfs(peak))
                    bar.update(1)
                elif line.startswith("@R"):
                    say("board samples at %s Hz" % line.split()[1])
                elif line.startswith("@O"):
                    say("too loud: the window clipped, not saved (move away a little)")
                elif line.startswith("@E"):
                    say("board: %s" % line[3:])
                    break
                elif "Traceback" in line or "Error" in line:
                    raise _board_failed(board, line)
                elif line:
                    say("board: %s" % line)
        finally:
            bar.close()
            _stop(board)
    print("saved %d takes in %s%s" % (len(saved), folder,
                                      ", rejected %d damaged" % rejected if rejected else ""),
          file=out)
    return saved


def _board_failed(board, first_line):
    rest = board.transport.read_until(1, b"\x04", timeout=2).decode("utf-8", "replace")
    lines = [text for text in (first_line + "\n" + rest).replace("\x04", "").splitlines() if text]
    if any("no module named" in text for text in lines):
        return ClapnetError("the board has no clapnet device code: run `clapnet push --port %s "
                            "model.json` first" % board.port)
    return ClapnetError("record.py failed on the board: %s" % lines[-1])


def _typed_drop():
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    if not ready:
        return False
    return sys.stdin.readline().strip().lower() == "d"


def _stop(board):
    # Ctrl-C ends record.main(); then wait for the raw REPL's end markers
    try:
        board.transport.serial.write(b"\x03")
        board.transport.serial.timeout = 2
        board.transport.read_until(1, b"\x04>", timeout=2)
    except OSError:
        pass
