"""The README's main job: `clapnet demo` builds its data from hydrogen-drumkits,
trains, and runs the firmware on the emulated board."""
import re
import subprocess
import sys

from clapnet.demo import data as demo_data
from tests.conftest import ROOT, find_tool, need


def test_demo_dataset_keeps_held_out_sounds_out_of_training(tmp_path):
    need(demo_data.DRUMKITS.is_dir(), "Debian package hydrogen-drumkits")
    from clapnet.shared import features
    counts = demo_data.build(tmp_path, features.preset("default"), clap_variants=2)
    assert counts["train"]["clap"] > 0 and counts["holdout"]["clap"] > 0
    assert counts["holdout"]["other"] > 0

    def sources(split, label):
        return {re.sub(r"-\d+\.wav$", "", p.name) for p in (tmp_path / split / label).glob("*.wav")}

    for label in ("clap", "other"):
        assert not sources("train", label) & sources("holdout", label)
    assert "hydrogen-drumkits" in (tmp_path / "SOURCE.txt").read_text()


def test_demo_runs_the_firmware_on_the_emulated_board(tmp_path):
    need(demo_data.DRUMKITS.is_dir(), "Debian package hydrogen-drumkits")
    need(find_tool("micropython") is not None, "micropython")
    result = subprocess.run([sys.executable, "-m", "clapnet", "demo", "--workdir",
                             str(tmp_path / "demo")], capture_output=True, text=True,
                            cwd=ROOT, timeout=600)
    out = result.stdout
    print(out[-1500:])
    assert result.returncode == 0, result.stderr[-3000:] + out[-3000:]
    claps, n_claps, others, n_others = map(int, re.search(
        r"board \(emulated\): LED toggled for (\d+) of (\d+) claps .* and (\d+) of (\d+) other",
        out).groups())
    assert n_claps >= 10 and n_others >= 20
    assert claps >= 0.9 * n_claps
    assert others <= 0.1 * n_others
    assert "they agree" in out
