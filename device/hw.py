# Hardware access for the firmware: microphone input, LED, time.
#
# Everything the firmware touches on the board goes through this module, so
# the emulated board (tools/emulator_hw/hw.py, same functions) can replace it
# without shadowing `machine`.
#
# Samples come out centred: signed ints where 0 is silence and +-32768 is full
# scale, in a caller-owned array('h'), so nothing is allocated per sample.
import time

import micropython


class EndOfInput(Exception):
    """No more samples. Only the emulated board's recording ends; a microphone never does."""


FULL_SCALE = 32768


@micropython.viper
def _fill_paced(buf, count: int, read, period_x256: int, midpoint: int, level: int,
                window: int) -> int:
    # One ADC read per sample period. Times are in 1/256 us so that periods
    # like 27.97 us (35.75 kHz) do not round to a different rate.
    # Sampling pauses between calls (while the caller runs the detector), so a
    # window that started near the end of a block would have a hole in it: when
    # a sample reaches `level` (level > 0), keep sampling until `window`
    # samples from it are in, past `count` if need be. buf must hold
    # count + window samples. Returns the number of samples written.
    out = ptr16(buf)
    ticks_us = time.ticks_us
    ticks_diff = time.ticks_diff
    start = ticks_us()
    due = 0
    stop = count
    i = 0
    while i < stop:
        while (int(ticks_diff(ticks_us(), start)) << 8) < due:
            pass
        v = int(read()) - midpoint
        if v > 32767:
            v = 32767
        elif v < -32768:
            v = -32768
        out[i] = v
        if level > 0 and stop == count and (v >= level or v <= -level) \
                and i + window > count:
            stop = i + window
        i += 1
        due += period_x256
    return stop


@micropython.viper
def _i2s_to_16(raw, buf, count: int):
    # 32-bit little-endian I2S slots, the sample in the top bits: keep the
    # upper half-word as a signed 16-bit value.
    src = ptr16(raw)
    out = ptr16(buf)
    for i in range(count):
        out[i] = src[2 * i + 1]


class AdcInput:
    """Analog microphone on an ADC pin, read at a steady rate by a viper loop.

    Sampling stops while the caller classifies a window (the refractory time
    after each event covers that).
    """

    def __init__(self, config, rate, midpoint):
        from machine import ADC, Pin
        self.adc = ADC(Pin(config.ADC_PIN), atten=ADC.ATTN_11DB)
        self.rate = rate
        self.midpoint = midpoint
        self.period_x256 = (1000000 * 256) // rate
        self.samples = 0  # samples delivered so far
        self.level = 0
        self.window = 0

    def keep_windows_whole(self, level, window):
        """From now on, a block in which a sample reaches `level` (centred
        counts) runs on until `window` samples from it are in; read() buffers
        must then hold `window` samples more than a plain block."""
        self.level = int(level)
        self.window = window

    def read(self, buf):
        count = _fill_paced(buf, len(buf) - self.window, self.adc.read_u16, self.period_x256,
                            self.midpoint, self.level, self.window)
        self.samples += count
        return count


class I2sInput:
    """Digital I2S microphone; DMA keeps sampling while the caller is busy."""

    def __init__(self, config, rate, midpoint):
        from machine import I2S, Pin
        self.i2s = I2S(config.I2S_ID, sck=Pin(config.I2S_SCK_PIN), ws=Pin(config.I2S_WS_PIN),
                       sd=Pin(config.I2S_SD_PIN), mode=I2S.RX, bits=32, format=I2S.MONO,
                       rate=rate, ibuf=config.I2S_BUFFER_BYTES)
        self.rate = rate
        self.raw = bytearray(4 * config.BLOCK)  # 32-bit slots
        self.samples = 0

    def keep_windows_whole(self, level, window):
        pass  # DMA samples without pauses: windows are always whole

    def read(self, buf):
        count = min(len(buf), len(self.raw) // 4)
        view = memoryview(self.raw)[:4 * count]
        got = 0
        while got < 4 * count:
            got += self.i2s.readinto(view[got:])
        _i2s_to_16(self.raw, buf, count)
        self.samples += count
        return count


def open_input(config, rate, midpoint=None):
    """The configured microphone, sampling at `rate` Hz."""
    if midpoint is None:
        midpoint = config.ADC_MIDPOINT
    if config.INPUT == "i2s":
        return I2sInput(config, rate, midpoint)
    if config.INPUT == "adc":
        return AdcInput(config, rate, midpoint)
    raise ValueError("config.INPUT must be 'adc' or 'i2s', not %r" % (config.INPUT,))


def measure_rate(source, buf):
    """Samples per second the input really delivers (read one block, time it)."""
    t0 = time.ticks_us()
    count = source.read(buf)
    us = time.ticks_diff(time.ticks_us(), t0)
    return count * 1000000 // max(us, 1)


class Led:
    def __init__(self, config):
        from machine import Pin
        self.pin = Pin(config.LED_PIN, Pin.OUT)
        self.active_low = config.LED_ACTIVE_LOW
        self.state = False
        self.set(False)

    def set(self, on):
        self.state = bool(on)
        self.pin.value(self.state != self.active_low)

    def toggle(self):
        self.set(not self.state)

    def blink(self, times, ms=150):
        for _ in range(times):
            self.set(True)
            sleep_ms(ms)
            self.set(False)
            sleep_ms(ms)


def sleep_ms(ms):
    time.sleep_ms(ms)


def ticks_ms():
    return time.ticks_ms()
