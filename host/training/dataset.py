"""Datasets: a folder with one subfolder per label, holding WAV files.

    DATA/clap/*.wav   DATA/other/*.wav   (more labels allowed)

Any sample rate, mono or stereo (channels are averaged), any PCM or float
subtype: soundfile reads them as floats in [-1, 1] and soxr resamples them to
the model's sample rate. A file exactly one window long is one window as is;
a longer recording is cut into windows by the firmware's trigger rule
(shared.trigger.find_windows), so training sees what the board will see.

Files that cannot be used (unreadable, NaN samples, nothing loud enough to
trigger, clipped) are skipped and listed in `problems`; with strict=True the
first load fails instead. Nothing here ever writes into the data folder.
"""
import os

import numpy as np
import soundfile
import soxr

from clapnet.shared import features, trigger

from ..errors import ClapnetError


class FileProblem(ClapnetError):
    """A file that cannot be used; `reason` says why without the path."""

    def __init__(self, path, reason):
        ClapnetError.__init__(self, "%s: %s" % (path, reason))
        self.reason = reason


class FileInfo:
    """What was found in one file (for `clapnet dataset info`)."""

    def __init__(self, path, label):
        self.path = path
        self.label = label
        self.sample_rate = None
        self.channels = None
        self.subtype = None
        self.seconds = 0.0
        self.windows = 0  # windows used
        self.rejected = 0  # triggered windows rejected for overload
        self.clipped = False  # some sample reaches the overload level
        self.problem = None  # why the file was skipped, or None


class Dataset:
    """Windows cut from a folder of labelled recordings.

    windows [n, window] floats in [-1, 1]; targets: index into labels;
    groups: index into files of the recording each window came from;
    starts: sample index of each window in its (resampled) recording.
    features: feature rows [n, n_features] once computed (see
    clapnet.load_dataset), else None.
    """

    def __init__(self, folder, config, labels, windows, targets, groups, starts, files):
        self.folder = folder
        self.config = config
        self.labels = labels
        self.windows = windows
        self.targets = targets
        self.groups = groups
        self.starts = starts
        self.files = files  # FileInfo per file, including skipped ones
        self.features = None

    @property
    def problems(self):
        return [f for f in self.files if f.problem]

    def counts(self):
        """Windows per label."""
        return {label: int(np.sum(self.targets == i)) for i, label in enumerate(self.labels)}

    def window_name(self, row):
        """'clap/x.wav' or 'clap/x.wav @ 1.234 s' for a window of a longer recording."""
        info = self.files[self.groups[row]]
        name = os.path.relpath(info.path, self.folder)
        if info.windows == 1 and self.starts[row] == 0:
            return name
        return "%s @ %.3f s" % (name, self.starts[row] / self.config["sample_rate"])

    def summary(self):
        """A small JSON-able description for a model file's training metadata."""
        return {"folder": os.path.abspath(self.folder), "windows": self.counts(),
                "files": len(self.files) - len(self.problems),
                "skipped_files": len(self.problems)}


def find_labels(folder):
    """Label subfolders of a dataset folder, "clap" first, the rest sorted."""
    if not os.path.isdir(folder):
        raise ClapnetError("dataset folder %s does not exist" % folder)
    labels = sorted(d for d in os.listdir(folder)
                    if os.path.isdir(os.path.join(folder, d)) and not d.startswith("."))
    if not labels:
        raise ClapnetError("%s has no label subfolders: put WAV files in %s/clap/ and "
                           "%s/other/" % (folder, folder, folder))
    if "clap" in labels:
        labels.remove("clap")
        labels.insert(0, "clap")
    return labels


def wav_files(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(".wav") and not f.startswith("."))


def read_recording(path, sample_rate):
    """Samples of a WAV file as mono floats at sample_rate, plus its soundfile info.

    Raises FileProblem (a ClapnetError) naming the file when it cannot be used.
    """
    try:
        info = soundfile.info(path)
        data, rate = soundfile.read(path, dtype="float64", always_2d=True)
    except (RuntimeError, OSError, ValueError) as e:
        # libsndfile errors carry a message without the path in error_string
        raise FileProblem(path, "cannot read this WAV file (%s): re-export it as WAV"
                          % getattr(e, "error_string", e))
    samples = data.mean(axis=1)
    if not np.all(np.isfinite(samples)):
        raise FileProblem(path, "contains NaN or infinite samples: re-export it")
    if rate != sample_rate and len(samples):
        samples = soxr.resample(samples, rate, sample_rate)
    return samples, info


def cut_windows(samples, config):
    """(windows, starts, rejected) of one recording, by the firmware's trigger rule.

    A recording exactly one window long is that window. Longer ones go
    through shared.trigger.find_windows; windows reaching the overload level
    are rejected, as on the board.
    """
    n = config["window"]
    if len(samples) == n:
        if np.max(np.abs(samples)) >= config["overload_level"]:
            return [], [], 1
        return [samples], [0], 0
    found = trigger.find_windows(samples, config, 1.0)
    windows = [np.array(w) for _, status, w in found if status == trigger.OK]
    starts = [start for start, status, _ in found if status == trigger.OK]
    return windows, starts, len(found) - len(windows)


def load(folder, config, strict=False, progress=None):
    """Read a dataset folder into a Dataset of windows for a feature configuration.

    strict: fail on the first unusable file instead of skipping it.
    progress: optional callable(iterable, total) -> iterable (e.g. tqdm).
    """
    features.validate(config)
    labels = find_labels(folder)
    jobs = [(label, path) for label in labels for path in wav_files(os.path.join(folder, label))]
    if not jobs:
        raise ClapnetError("%s has no WAV files in its label folders (%s)"
                           % (folder, ", ".join(labels)))
    files, windows, targets, groups, starts = [], [], [], [], []
    for label, path in (progress(jobs, len(jobs)) if progress else jobs):
        info = FileInfo(path, label)
        files.append(info)
        try:
            samples, sf_info = read_recording(path, config["sample_rate"])
        except FileProblem as e:
            info.problem = e.reason
        else:
            info.sample_rate = sf_info.samplerate
            info.channels = sf_info.channels
            info.subtype = sf_info.subtype
            info.seconds = sf_info.frames / sf_info.samplerate
            info.clipped = bool(len(samples)) and \
                float(np.max(np.abs(samples))) >= config["overload_level"]
            info.problem = _use_windows(info, samples, config, labels, windows, targets,
                                        groups, starts, len(files) - 1)
        if strict and info.problem:
            raise ClapnetError("%s: %s (--strict stops at the first unusable file; "
                               "without it such files are skipped)" % (path, info.problem))
    dataset = Dataset(folder, config, labels, np.array(windows).reshape(-1, config["window"]),
                      np.array(targets, dtype=int), np.array(groups, dtype=int),
                      np.array(starts, dtype=int), files)
    return dataset


def _use_windows(info, samples, config, labels, windows, targets, groups, starts, file_index):
    """Append a recording's windows; return why it is unusable, or None."""
    n = config["window"]
    if len(samples) < n:
        return "shorter than one window (%d samples at %d Hz, need %d)" % (
            len(samples), config["sample_rate"], n)
    found, at, info.rejected = cut_windows(samples, config)
    if not found:
        if info.rejected:
            return "clipped: every triggered window reaches the overload level " \
                   "(record with less gain)"
        return "silent: no sample reaches the trigger level (%.3g of full scale)" \
               % config["trigger_level"]
    info.windows = len(found)
    windows.extend(found)
    starts.extend(at)
    targets.extend([labels.index(info.label)] * len(found))
    groups.extend([file_index] * len(found))
    return None


def check_trainable(dataset):
    """Raise ClapnetError unless the dataset can train a clap model."""
    counts = dataset.counts()
    used = [label for label, count in counts.items() if count]
    if "clap" not in dataset.labels:
        raise ClapnetError("%s has no clap/ folder: the model needs a \"clap\" label"
                           % dataset.folder)
    if len(used) < 2:
        raise ClapnetError("%s: only %s has usable windows; a model needs at least two labels "
                           "(e.g. clap/ and other/)" % (dataset.folder, ", ".join(used) or "no label"))


def extract_features(windows, config, progress=None):
    """Feature rows [n, n_features] for windows [n, window] (floats in [-1, 1]),
    computed by shared.features exactly as the board computes them."""
    extractor = features.Features(config, "numpy")
    rows = progress(windows, len(windows)) if progress else windows
    return np.array([extractor.extract(w.tolist()) for w in rows]).reshape(
        len(windows), extractor.count)


def info_report(dataset):
    """The text of `clapnet dataset info`."""
    lines = ["dataset %s (features: window %d samples at %d Hz)"
             % (dataset.folder, dataset.config["window"], dataset.config["sample_rate"])]
    lines.append("%-12s %7s %9s %9s %8s %8s  %s" % ("label", "files", "windows", "rejected",
                                                    "clipped", "skipped", "sample rates"))
    for label in dataset.labels:
        mine = [f for f in dataset.files if f.label == label]
        rates = sorted({f.sample_rate for f in mine if f.sample_rate})
        lines.append("%-12s %7d %9d %9d %8d %8d  %s" % (
            label, len(mine), sum(f.windows for f in mine), sum(f.rejected for f in mine),
            sum(f.clipped for f in mine), sum(bool(f.problem) for f in mine),
            ", ".join("%d Hz" % r for r in rates) or "-"))
    formats = sorted({"%s %s" % ("mono" if f.channels == 1 else "%d ch" % f.channels, f.subtype)
                      for f in dataset.files if f.channels})
    if formats:
        lines.append("formats: " + ", ".join(formats))
    if dataset.problems:
        lines.append("skipped files:")
        for f in dataset.problems:
            lines.append("  %s: %s" % (os.path.relpath(f.path, dataset.folder), f.problem))
    return "\n".join(lines)
