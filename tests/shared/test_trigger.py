"""shared/trigger.py and shared/detector.py: the firmware's window and
decision rules on synthetic streams whose answers are known by construction."""
import numpy as np
from hypothesis import given, settings, strategies as st

from clapnet.shared import detector, features, trigger


def config(**changes):
    c = features.preset("default")
    c.update(changes)
    return c


def stream_with_bursts(starts, length=20000, peak=0.8, seed=0):
    """Quiet noise with decaying bursts; a burst's first sample is its loudest."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, length)
    for s in starts:
        n = 400
        x[s:s + n] = peak * np.exp(-np.arange(n) / 60.0) * np.where(np.arange(n) % 2, -1, 1)
    return x


def test_each_burst_gives_one_window_starting_at_its_first_loud_sample():
    starts = [1000, 6000, 12000]
    found = trigger.find_windows(stream_with_bursts(starts), config())
    assert [(s, status) for s, status, _ in found] == [(s, trigger.OK) for s in starts]


def test_window_holds_the_stream_samples():
    x = stream_with_bursts([3000])
    (start, _, window), = trigger.find_windows(x, config())
    assert np.array_equal(window, x[start:start + 256])


def test_pretrigger_moves_the_window_start_back():
    x = stream_with_bursts([3000])
    (start, _, _), = trigger.find_windows(x, config(pretrigger=32))
    assert start == 3000 - 32


def test_overloaded_event_is_rejected_whole_without_a_tail_trigger():
    x = stream_with_bursts([2000, 9000])
    x[2100] = 1.0  # clipped sample inside the first event's window
    found = trigger.find_windows(x, config())
    assert [(s, status) for s, status, _ in found] == [(2000, trigger.OVERLOAD), (9000, trigger.OK)]


def test_refractory_time_swallows_a_second_burst():
    c = config(refractory=0.1)  # 3575 samples after the window's end
    found = trigger.find_windows(stream_with_bursts([1000, 1000 + 256 + 3000, 9000]), c)
    assert [s for s, _, _ in found] == [1000, 9000]


def test_quiet_stream_gives_no_window():
    assert trigger.find_windows(stream_with_bursts([], peak=0.0), config()) == []


def test_integer_counts_with_full_scale_trigger_like_floats():
    x = stream_with_bursts([1500, 7000])
    counts = [int(v) for v in np.round(x * 32768)]
    floats = trigger.find_windows(x, config())
    ints = trigger.find_windows(counts, config(), full_scale=32768)
    assert [s for s, _, _ in ints] == [s for s, _, _ in floats]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=60))
def test_block_sizes_do_not_change_the_windows(sizes):
    x = stream_with_bursts([900, 5000, 9500, 15000], seed=3)
    c = config(refractory=0.05)
    whole = trigger.find_windows(x, c)
    trig = trigger.Trigger(c)
    got = []
    offset = 0
    i = 0
    while offset < len(x):
        block = x[offset:offset + sizes[i % len(sizes)]]
        used = 0
        while used < len(block):
            used += trig.feed(block, len(block) - used, used)
            if trig.status is not None:
                got.append((trig.start, trig.status))
        offset += len(block)
        i += 1
    assert got == [(s, status) for s, status, _ in whole]


class FixedNetwork:
    """Stands in for the network: answers a fixed sequence of probabilities."""

    def __init__(self, ps, threshold=0.5):
        self.ps = list(ps)
        self.threshold = threshold

    def clap_probability(self, f):
        return self.ps.pop(0)

    def is_clap(self, p):
        return p >= self.threshold


def make_detector(ps, gap):
    from tests.helpers import random_model
    model = random_model(config(refractory=0.02), [11, 2], ["fast_tanh", "fast_tanh"])
    d = detector.Detector(model, double_clap_gap=gap)
    d.net = FixedNetwork(ps)
    return d


def test_single_clap_mode_toggles_on_every_clap():
    x = stream_with_bursts([1000, 4000, 8000])
    events = make_detector([0.9, 0.2, 0.7], gap=0).run(x)
    assert [(e.start, e.clap, e.toggle) for e in events] == \
        [(1000, True, True), (4000, False, False), (8000, True, True)]


def test_double_clap_mode_toggles_on_the_second_of_two_close_claps():
    # gap 0.15 s = 5362 samples: 1000 -> 4000 pairs, 12000 is alone, 20000 -> 23000 pairs
    x = stream_with_bursts([1000, 4000, 12000, 20000, 23000], length=30000)
    events = make_detector([0.9, 0.9, 0.9, 0.9, 0.9], gap=0.15).run(x)
    assert [e.toggle for e in events] == [False, True, False, False, True]


def test_detector_reports_overload_without_classifying():
    x = stream_with_bursts([1000])
    x[1050] = -1.0
    events = make_detector([], gap=0).run(x)
    assert len(events) == 1 and events[0].status == trigger.OVERLOAD and events[0].p is None
