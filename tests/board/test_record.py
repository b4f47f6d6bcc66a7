"""`clapnet record` against the emulated board: the board streams framed,
checksummed windows; good ones become WAV files, damaged ones are dropped."""
import numpy as np
import pytest
import soundfile as sf

from clapnet.board import record as rec
from clapnet.errors import ClapnetError
from tests.helpers import (RATE, clapnet, mpremote, random_model_file, seed_windows,
                           write_stream)


@pytest.fixture
def windows(seed_dir):
    x, _ = seed_windows(seed_dir)
    return x[::20][:8]  # claps and others


def pushed_board(emulator, tmp_path, adc, **kw):
    board = emulator(adc=adc, **kw)
    clapnet("push", "--port", board.port, str(random_model_file(tmp_path / "model.json")))
    return board


def test_record_saves_the_boards_windows_and_drops_a_damaged_frame(emulator, tmp_path,
                                                                   windows):
    stream = tmp_path / "stream.wav"
    write_stream(stream, windows)
    # the second window's frame gets one byte flipped on the way, as on a bad cable
    board = pushed_board(emulator, tmp_path, stream, corrupt_frames={1})
    data = tmp_path / "data"
    (data / "clap").mkdir(parents=True)
    mine = data / "clap" / "mine.wav"
    mine.write_bytes(b"not touched")
    result = clapnet("record", "--port", board.port, "--label", "clap", "--count", "5",
                     str(data))
    assert "rejected a window: damaged frame" in result.stderr
    saved = sorted(p for p in (data / "clap").glob("clap-*.wav"))
    assert len(saved) == 5
    assert mine.read_bytes() == b"not touched"
    expected = [windows[i] for i in (0, 2, 3, 4, 5)]  # window 1 was damaged
    for path, want in zip(saved, expected):
        samples, rate = sf.read(str(path), dtype="int16")
        info = sf.info(str(path))
        assert rate == RATE and info.subtype == "PCM_16" and info.channels == 1
        assert np.array_equal(samples, want)
    assert "peak" in result.stderr


def test_record_stops_at_the_end_of_the_emulated_input(emulator, tmp_path, windows):
    stream = tmp_path / "stream.wav"
    write_stream(stream, windows[:3])
    board = pushed_board(emulator, tmp_path, stream)
    saved = rec.record(board.port, tmp_path / "data", "other", 10, interactive=False)
    assert len(saved) == 3
    # the board is usable again afterwards
    assert "42" in mpremote(board.port, "exec", "print(6 * 7)")


def real_frames(emulator, tmp_path, windows):
    stream = tmp_path / "frames.wav"
    write_stream(stream, windows[:2])
    board = pushed_board(emulator, tmp_path, stream)
    out = mpremote(board.port, "exec", "import record\nrecord.main()")
    return [line for line in out.splitlines() if line.startswith("@W")]


def test_parse_frame_accepts_good_frames_and_rejects_any_damage(emulator, tmp_path, windows):
    frames = real_frames(emulator, tmp_path, windows)
    assert len(frames) == 2
    seq, rate, samples, peak = rec.parse_frame(frames[1])
    assert (seq, rate) == (1, RATE)
    assert np.array_equal(samples, windows[1]) and peak == np.abs(windows[1]).max()
    line = frames[0]
    fields = line.split(" ")
    damaged = [
        line.replace(" %s " % fields[4], " %d " % (int(fields[4]) + 1), 1),  # header
        line[:-10] + ("A" if line[-10] != "A" else "B") + line[-9:],  # payload
        line[: len(line) // 2],  # cut short
        line.replace(fields[5], "zzzzzzzz"),  # unreadable checksum
        "@W 1 2 3",
    ]
    for bad in damaged:
        with pytest.raises(rec.FrameError):
            rec.parse_frame(bad)


def test_takes_get_unique_names_and_drop_keeps_the_file(tmp_path):
    folder = tmp_path / "data" / "clap"
    samples = np.arange(256, dtype=np.int16)
    paths = [rec.save_take(folder, "clap", samples, RATE) for _ in range(3)]
    assert len(set(paths)) == 3
    moved = rec.drop_take(paths[-1], tmp_path / "data")
    assert not paths[-1].exists() and moved.exists()
    assert np.array_equal(sf.read(str(moved), dtype="int16")[0], samples)
    assert not list(folder.glob(".*tmp*"))


def test_record_refuses_bad_arguments(tmp_path):
    with pytest.raises(ClapnetError, match="--count"):
        rec.record("/dev/null", tmp_path, "clap", 0)
    with pytest.raises(ClapnetError, match="--label"):
        rec.record("/dev/null", tmp_path, "../clap", 3)


def test_record_without_device_code_on_the_board_is_a_clear_error(emulator, tmp_path, windows):
    stream = tmp_path / "stream.wav"
    write_stream(stream, windows[:2])
    board = emulator(adc=stream)  # nothing pushed
    result = clapnet("record", "--port", board.port, "--label", "clap", "--count", "2",
                     str(tmp_path / "data"), check=False)
    assert result.returncode == 2
    assert "no clapnet device code" in result.stderr and "clapnet push" in result.stderr
    assert "Traceback" not in result.stderr
