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
def _fill_paced(buf, count: int, read, period_x256: int, midpoint: int):
    # One ADC read per sample period. Times are in 1/256 us so that periods
    # like 27.97 us (35.75 kHz) do not round to a different rate.
    out = ptr16(buf)
    ticks_us = time.ticks_us
    ticks_diff = time.ticks_diff
    start = ticks_us()
    due = 0
    for i in range(count):
        while (int(ticks_diff(ticks_us(), start)) << 8) < due:
            pass
        v = int(read()) - midpoint
        if v > 32767:
            v = 32767
        elif v < -32768:
            v = -32768
        out[i] = v
        due += period_x256


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

    def read(self, buf):
        _fill_paced(buf, len(buf), self.adc.read_u16, self.period_x256, self.midpoint)
        self.samples += len(buf)
        return len(buf)


class I2sInput:
    """Digital I2S microphone; DMA keeps sampling while the caller is busy."""

    def __init__(self, config, rate, midpoint):
        from machine import I2S, Pin
        self.i2s = I2S(config.I2S_ID, sck=Pin(config.I2S_SCK_PIN), ws=Pin(config.I2S_WS_PIN),
                       sd=Pin(config.I2S_SD_PIN), mode=I2S.RX, bits=32, format=I2S.MONO,
                       rate=rate, ibuf=config.I2S_BUFFER_BYTES)
        self.rate = rate
        self.raw = bytearray(4 * config.BLOCK)
        self.samples = 0

    def read(self, buf):
        count = len(buf)
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
    source.read(buf)
    us = time.ticks_diff(time.ticks_us(), t0)
    return len(buf) * 1000000 // max(us, 1)


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
