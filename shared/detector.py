# samples -> trigger -> features -> network -> decision, for a stream.
# The firmware and `clapnet detect` both run this, so a recording analysed on
# the host gives the decisions the board would make.
from . import features, network, trigger


class Event:
    """One triggered window and what was decided about it."""

    def __init__(self, start, status, p, clap, toggle):
        self.start = start  # stream index of the window's first sample
        self.status = status  # trigger.OK or trigger.OVERLOAD
        self.p = p  # clap probability (None when overloaded)
        self.clap = clap  # p >= the model's threshold
        self.toggle = toggle  # the LED should toggle now

    def __repr__(self):
        return "Event(start=%d, status=%s, p=%s, clap=%s, toggle=%s)" % (
            self.start, self.status, self.p, self.clap, self.toggle)


class Detector:
    """model: validated model dict. full_scale: the sample value of +1.0
    (1.0 for floats, 32768 for centred 16-bit counts). double_clap_gap:
    seconds within which a second clap must follow to toggle (0 = single)."""

    def __init__(self, model, full_scale=1.0, double_clap_gap=0.0, backend=None):
        config = model["features"]
        self.rate = config["sample_rate"]
        self.net = network.Network(model)
        self.features = features.Features(config, backend)
        self.trigger = trigger.Trigger(config, full_scale)
        self.scale = 1.0 / full_scale
        self.gap = int(double_clap_gap * self.rate)
        self.last_clap = -1  # start of an unpaired clap, double-clap mode
        self._f = [0.0] * self.features.count

    def feed(self, block, count=None, offset=0):
        """Take samples; return (used, event or None). Call again with the rest."""
        t = self.trigger
        used = t.feed(block, count, offset)
        if t.status is None:
            return used, None
        if t.status == trigger.OVERLOAD:
            return used, Event(t.start, t.status, None, False, False)
        f = self.features.extract(t.window, self.scale, self._f)
        p = self.net.clap_probability(f)
        clap = self.net.is_clap(p)
        toggle = clap
        if clap and self.gap:
            if self.last_clap >= 0 and t.start - self.last_clap <= self.gap:
                self.last_clap = -1
            else:
                self.last_clap = t.start
                toggle = False
        return used, Event(t.start, t.status, p, clap, toggle)

    def run(self, samples):
        """All events in a whole recording (host side)."""
        events = []
        offset = 0
        total = len(samples)
        while offset < total:
            used, event = self.feed(samples, total - offset, offset)
            offset += used
            if event is not None:
                events.append(event)
        return events
