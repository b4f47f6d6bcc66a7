"""clapnet.dataset: WAV folders of any rate/format become windows cut by the
firmware's trigger rule; unusable files are named, skipped, or (strict) fatal;
the input folder is never written to."""
import os

import numpy as np
import pytest
import soundfile

from clapnet.training import dataset
from clapnet.errors import ClapnetError
from clapnet.shared import features, trigger

CONFIG = features.preset("default")
RATE = CONFIG["sample_rate"]
N = CONFIG["window"]


def burst(rng, n=N, peak=0.8, rate=RATE):
    """A decaying 1.5 kHz tone plus noise that starts at its loudest sample
    (slow enough to keep its peak when resampled to 16 kHz)."""
    t = np.arange(n) / rate
    x = np.exp(-t / 0.002) * (np.cos(2 * np.pi * 1500 * t) + rng.normal(0, 0.1, n))
    x *= peak / np.max(np.abs(x))
    return x


def recording(rng, at_seconds, seconds=1.0, rate=RATE, peak=0.8):
    """Quiet noise with bursts starting at the given times."""
    x = rng.normal(0, 0.01, int(seconds * rate))
    for t in at_seconds:
        start = int(t * rate)
        x[start:start + N] = burst(rng, min(N, len(x) - start), peak, rate)
    return x


def write(path, samples, rate=RATE, subtype="PCM_16"):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype=subtype)
    return path


def snapshot(folder):
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def small(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    for i in range(3):
        write(root / "clap" / ("c%d.wav" % i), burst(rng))
        write(root / "other" / ("o%d.wav" % i), burst(rng, peak=0.75) * 0.9)
    return root


def test_one_window_files_are_used_as_is(small):
    before = snapshot(small)
    data = dataset.load(str(small), CONFIG)
    assert data.labels == ["clap", "other"]
    assert data.counts() == {"clap": 3, "other": 3}
    expect = soundfile.read(str(small / "clap" / "c1.wav"))[0]
    row = [i for i in range(6) if data.window_name(i) == os.path.join("clap", "c1.wav")][0]
    assert np.array_equal(data.windows[row], expect)
    assert len(set(data.groups)) == 6 and not data.problems
    assert snapshot(small) == before


def test_long_recording_is_cut_by_the_firmware_trigger(tmp_path):
    rng = np.random.default_rng(1)
    samples = recording(rng, [0.1, 0.35, 0.7])
    samples[int(0.7 * RATE) + 5] = 1.0  # the third burst clips: rejected, as on the board
    write(tmp_path / "d" / "clap" / "long.wav", samples, subtype="FLOAT")
    write(tmp_path / "d" / "other" / "o.wav", burst(rng))
    data = dataset.load(str(tmp_path / "d"), CONFIG)
    long_rows = data.groups == 0
    assert list(data.starts[long_rows]) == [int(0.1 * RATE), int(0.35 * RATE)]
    info = data.files[0]
    assert (info.windows, info.rejected, info.clipped) == (2, 1, True)
    expect = [(s, w) for s, status, w in trigger.find_windows(samples.tolist(), CONFIG)
              if status == trigger.OK]
    for row, (start, window) in zip(np.flatnonzero(long_rows), expect):
        assert np.allclose(data.windows[row], window)
    assert data.window_name(0).endswith("@ 0.100 s")


@pytest.mark.parametrize("rate,subtype,channels", [
    (44100, "PCM_16", 1), (16000, "PCM_24", 1), (48000, "FLOAT", 2), (RATE, "PCM_U8", 1),
    (22050, "PCM_32", 2), (RATE, "DOUBLE", 1)])
def test_any_rate_format_and_channel_count(tmp_path, rate, subtype, channels):
    rng = np.random.default_rng(2)
    mono = recording(rng, [0.2, 0.6], rate=rate)
    samples = np.stack([mono, mono], axis=1) if channels == 2 else mono
    write(tmp_path / "d" / "clap" / "r.wav", samples, rate, subtype)
    data = dataset.load(str(tmp_path / "d"), CONFIG)
    info = data.files[0]
    assert (info.sample_rate, info.channels, info.problem) == (rate, channels, None)
    # resampled to the model's rate: the bursts are found at the same times
    assert np.allclose(data.starts / RATE, [0.2, 0.6], atol=0.002)
    assert data.windows.shape == (2, N)


def test_unusable_files_are_named_and_skipped_or_fatal_with_strict(tmp_path):
    rng = np.random.default_rng(3)
    root = tmp_path / "d"
    write(root / "clap" / "good.wav", burst(rng))
    write(root / "clap" / "silent.wav", rng.normal(0, 0.01, RATE // 2))
    write(root / "other" / "good.wav", burst(rng))
    (root / "other" / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    nan = burst(rng)
    nan[10] = np.nan
    write(root / "other" / "nan.wav", nan, subtype="FLOAT")
    write(root / "other" / "short.wav", burst(rng)[:100])
    clipped = burst(rng)
    clipped[3] = 1.0
    write(root / "other" / "clipped.wav", clipped)
    (root / "other" / "notes.txt").write_text("not audio, ignored")
    before = snapshot(root)

    data = dataset.load(str(root), CONFIG)
    problems = {os.path.basename(f.path): f.problem for f in data.problems}
    assert set(problems) == {"silent.wav", "corrupt.wav", "nan.wav", "short.wav", "clipped.wav"}
    assert "silent" in problems["silent.wav"] and "trigger level" in problems["silent.wav"]
    assert "cannot read" in problems["corrupt.wav"]
    assert "NaN" in problems["nan.wav"]
    assert "shorter than one window" in problems["short.wav"]
    assert "clipped" in problems["clipped.wav"]
    assert data.counts() == {"clap": 1, "other": 1}
    report = dataset.info_report(data)
    for name in problems:
        assert name in report

    with pytest.raises(ClapnetError, match="corrupt.wav|nan.wav|short.wav|clipped.wav|silent"):
        dataset.load(str(root), CONFIG, strict=True)
    assert snapshot(root) == before


def test_missing_empty_and_one_label_folders(tmp_path):
    with pytest.raises(ClapnetError, match="does not exist"):
        dataset.load(str(tmp_path / "nope"), CONFIG)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClapnetError, match="no label subfolders"):
        dataset.load(str(tmp_path / "empty"), CONFIG)
    (tmp_path / "empty" / "clap").mkdir()
    (tmp_path / "empty" / "other").mkdir()
    with pytest.raises(ClapnetError, match="no WAV files"):
        dataset.load(str(tmp_path / "empty"), CONFIG)
    write(tmp_path / "empty" / "clap" / "a.wav", burst(np.random.default_rng(4)))
    data = dataset.load(str(tmp_path / "empty"), CONFIG)
    with pytest.raises(ClapnetError, match="at least two labels"):
        dataset.check_trainable(data)
    write(tmp_path / "noclap" / "dog" / "a.wav", burst(np.random.default_rng(4)))
    write(tmp_path / "noclap" / "cat" / "a.wav", burst(np.random.default_rng(5)))
    with pytest.raises(ClapnetError, match="clap"):
        dataset.check_trainable(dataset.load(str(tmp_path / "noclap"), CONFIG))


def test_more_labels_with_clap_first(tmp_path):
    rng = np.random.default_rng(6)
    for label in ("whistle", "other", "clap", "door"):
        write(tmp_path / "d" / label / "a.wav", burst(rng))
    data = dataset.load(str(tmp_path / "d"), CONFIG)
    assert data.labels == ["clap", "door", "other", "whistle"]
    assert [data.labels[t] for t in data.targets] == data.labels


def test_features_are_the_boards_features(small):
    for preset in ("default", "reference"):
        config = features.preset(preset)
        data = dataset.load(str(small), config)
        rows = dataset.extract_features(data.windows, config)
        pure = features.Features(config, "pure")
        for w, row in zip(data.windows, rows):
            assert np.allclose(pure.extract(w.tolist()), row, rtol=1e-9, atol=1e-12)


def test_seed_recordings_load_exactly(seed_dir, seed):
    data = dataset.load(str(seed_dir), CONFIG, strict=True)
    x, y = seed
    assert data.counts() == {"clap": int(y.sum()), "other": int((1 - y).sum())}
    assert np.array_equal(data.windows[data.targets == 0], x[y == 1])
    assert np.array_equal(data.windows[data.targets == 1], x[y == 0])
