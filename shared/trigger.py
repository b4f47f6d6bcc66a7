# The trigger: which stretch of a sample stream becomes a window.
#
# The rule, shared by the firmware, `clapnet detect` and the dataset slicer:
#   - a sample with |x| >= trigger_level (fraction of full scale) arms a
#     window that starts `pretrigger` samples before it and is `window` long;
#   - if any sample of that window reaches overload_level the event is
#     rejected (a clipped window has a different spectrum than training saw);
#   - either way nothing triggers again until `refractory` seconds after the
#     window's end, so one clap gives one decision.
# Samples arrive in blocks of any size (ADC reads, I2S DMA buffers, a WAV
# file at once). `feed()` stops at the end of each window so the caller can
# classify it, then continues where it stopped.
OK = "ok"
OVERLOAD = "overload"


class Trigger:
    def __init__(self, config, full_scale=1.0):
        self.n = config["window"]
        self.pre = config["pretrigger"]
        self.level = config["trigger_level"] * full_scale
        self.overload = config["overload_level"] * full_scale
        self.refractory = int(config["refractory"] * config["sample_rate"] + 0.5)
        self.ring = [0] * self.n  # last n samples, oldest at self.pos
        self.window = [0] * self.n  # the finished window, in time order
        self.reset()

    def reset(self):
        self.pos = 0
        self.index = 0  # samples seen so far
        self.armed_at = self.pre  # first index allowed to trigger
        self.pending = -1  # index of the trigger sample of an open window
        self.last_overload = -1
        self.start = -1  # stream index of window[0] after a window ends
        self.status = None

    def feed(self, block, count=None, offset=0):
        """Take samples block[offset:offset+count].

        Returns how many were used. If a window ended, `status` is OK or
        OVERLOAD, `start` is its first sample's index in the stream and (when
        OK) `window` holds its samples; call feed() again with the rest.
        """
        if count is None:
            count = len(block) - offset
        self.status = None
        ring = self.ring
        n = self.n
        level = self.level
        overload = self.overload
        pos = self.pos
        index = self.index
        used = 0
        while used < count:
            v = block[offset + used]
            used += 1
            ring[pos] = v
            pos += 1
            if pos == n:
                pos = 0
            if v >= overload or -v >= overload:
                self.last_overload = index
            if self.pending < 0:
                if index >= self.armed_at and (v >= level or -v >= level):
                    self.pending = index
            index += 1
            if self.pending >= 0 and index - (self.pending - self.pre) == n:
                self._finish(pos, index)
                break
        self.pos = pos
        self.index = index
        return used

    def _finish(self, pos, index):
        start = index - self.n
        self.start = start
        if self.last_overload >= start:
            self.status = OVERLOAD
        else:
            self.status = OK
            ring = self.ring
            window = self.window
            n = self.n
            for i in range(n):
                j = pos + i
                window[i] = ring[j - n if j >= n else j]
        self.pending = -1
        self.armed_at = index + self.refractory + self.pre


def find_windows(samples, config, full_scale=1.0):
    """All windows in a recording: list of (start, status, window_copy_or_None)."""
    trig = Trigger(config, full_scale)
    found = []
    offset = 0
    total = len(samples)
    while offset < total:
        offset += trig.feed(samples, total - offset, offset)
        if trig.status is not None:
            found.append((trig.start, trig.status,
                          list(trig.window) if trig.status == OK else None))
    return found
