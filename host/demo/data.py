"""A demo dataset built from real, freely licensed percussion samples.

Source: Debian's `hydrogen-drumkits` package (drum kits for the Hydrogen drum
machine, GPL-2+ and similar licences, see /usr/share/doc/hydrogen-drumkits/
copyright). Its hand-clap samples (15 files) become `clap/`; every other
instrument (kicks, snares, hats, toms, cymbals, cowbells, shakers, snaps...)
becomes `other/`.

These are studio samples, not recordings from your board's microphone: a
model trained on them shows the workflow, it will not recognise claps well
on real hardware. Record your own data with `clapnet record` for that.

Each sample is resampled to the model rate with soxr, mixed to mono, given a
random level between the trigger and overload levels, a random start offset
and a quiet noise floor, so that the dataset loader's trigger rule cuts it the
way the board would. Claps are few, so each gets several variants (level,
small speed change, noise). Whole instruments are held out for the demo's
test stream (see _holdout), so the stream's sounds were never seen in
training.
"""
import re
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ..errors import ClapnetError
from ..training import dataset

DRUMKITS = Path("/usr/share/hydrogen/data/drumkits")
LICENCE_NOTE = ("Derived from Debian package hydrogen-drumkits (GPL-2+ and compatible "
                "licences; see /usr/share/doc/hydrogen-drumkits/copyright). Studio drum "
                "samples, NOT microphone recordings: a demo of the workflow only.\n")


def find_samples(root=DRUMKITS):
    """{group: [paths]} where a group is one instrument of one kit (all velocity
    layers of a clap are one group, so held-out groups are really unseen)."""
    if not root.is_dir():
        raise ClapnetError("%s not found: install the Debian package hydrogen-drumkits "
                           "(`bash tools/setup` does it) or train on your own recordings"
                           % root)
    groups = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".wav", ".flac"):
            continue
        kit = path.relative_to(root).parts[0]
        instrument = re.sub(r"[-_ ]*(hardest|hard|med|soft|softest|\d+)$", "",
                            path.stem, flags=re.I)
        groups.setdefault((kit, instrument), []).append(path)
    return groups


def is_clap(group):
    return "clap" in group[1].lower()


def variant(sound, rate, rng, config, speed=1.0):
    """One take: speed change, level, offset and noise floor; float32 in [-1, 1]."""
    if speed != 1.0:
        sound = soxr.resample(sound, rate, int(rate / speed))
    sound = sound[: int(0.3 * rate)]
    peak = np.max(np.abs(sound))
    if peak == 0:
        return None
    lo = config["trigger_level"] + 0.05
    hi = config["overload_level"] - 0.05
    sound = sound / peak * rng.uniform(lo, hi)
    lead = rng.integers(200, 800)
    tail = int(0.05 * rate)
    take = np.concatenate([np.zeros(lead), sound, np.zeros(tail)])
    take += rng.normal(0, rng.uniform(0.001, 0.006), len(take))
    return np.clip(take, -0.999, 0.999).astype(np.float32)


def build(out_dir, config, clap_variants=12, other_variants=1, holdout=0.2, seed=0,
          progress=None):
    """Write out_dir/train/{clap,other}/*.wav and out_dir/holdout/{clap,other}/*.wav.

    Returns {"train": {label: count}, "holdout": {label: count}}.
    """
    out_dir = Path(out_dir)
    rate = config["sample_rate"]
    rng = np.random.default_rng(seed)
    groups = find_samples()
    counts = {"train": {"clap": 0, "other": 0}, "holdout": {"clap": 0, "other": 0}}
    by_label = {"clap": [g for g in groups if is_clap(g)],
                "other": [g for g in groups if not is_clap(g)]}
    if not by_label["clap"]:
        raise ClapnetError("no clap samples found under %s" % DRUMKITS)
    for label, keys in by_label.items():
        held = _holdout(keys, groups, label, holdout, rng)
        reps = clap_variants if label == "clap" else other_variants
        for key in keys:
            for path in groups[key]:
                split = "holdout" if path in held else "train"
                folder = out_dir / split / label
                folder.mkdir(parents=True, exist_ok=True)
                sound, _ = dataset.read_recording(str(path), rate)
                for r in range(reps):
                    speed = rng.uniform(0.92, 1.08) if r else 1.0
                    take = variant(sound, rate, rng, config, speed)
                    if take is None:
                        continue
                    name = "%s-%s-%02d.wav" % (_slug(key[0]), _slug(path.stem), r)
                    sf.write(str(folder / name), take, rate, subtype="PCM_16")
                    counts[split][label] += 1
            if progress:
                progress(1)
    (out_dir / "SOURCE.txt").write_text(LICENCE_NOTE)
    return counts


def _holdout(keys, groups, label, fraction, rng):
    """Files kept out of training. Other sounds: whole instruments. Claps are too
    few kinds for that, so one take (velocity layer) of each clap recorded in
    three or more takes is held out: unseen recordings of a known clapper, as
    with your own data. (Two-take claps are electronic pairs that differ more
    than takes do.)"""
    if label == "clap":
        return {rng.choice(groups[k]) for k in keys if len(groups[k]) > 2}
    order = rng.permutation(len(keys))
    n_hold = max(1, int(round(fraction * len(keys))))
    return {p for i in order[:n_hold] for p in groups[keys[i]]}


def group_count():
    return len(find_samples())


def _slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def stream(holdout_dir, rate, claps=12, others=24, gap=0.5, seed=0):
    """Concatenate held-out takes (up to `claps` and `others` of them, in random
    order) with quiet noise between them.

    Returns (samples float32, [(start_sample, label, file_name), ...]).
    """
    rng = np.random.default_rng(seed)
    takes = []
    for label, limit in (("clap", claps), ("other", others)):
        paths = sorted(Path(holdout_dir, label).glob("*.wav"))
        for i in sorted(rng.permutation(len(paths))[:limit]):
            takes.append((label, paths[i]))
    order = rng.permutation(len(takes))
    pieces = [rng.normal(0, 0.003, int(gap * rate))]
    truth = []
    position = len(pieces[0])
    for i in order:
        label, path = takes[i]
        data, file_rate = sf.read(str(path), dtype="float32")
        if file_rate != rate:
            raise ClapnetError("%s is at %d Hz, expected %d" % (path, file_rate, rate))
        truth.append((position, label, path.name))
        quiet = rng.normal(0, 0.003, int(gap * rate)).astype(np.float32)
        pieces += [data, quiet]
        position += len(data) + len(quiet)
    return np.concatenate(pieces).astype(np.float32), truth


if __name__ == "__main__":  # pragma: no cover - manual check
    import sys
    from clapnet.shared import features
    print(build(sys.argv[1], features.preset("default")))
