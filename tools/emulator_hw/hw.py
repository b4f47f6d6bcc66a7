# The emulated board's hardware: same functions as device/hw.py.
#
# tools/board_emulator.py puts this folder first on the unix port's path, so
# `import hw` finds this file instead of the device/hw.py pushed to the flash.
#   ADC: replays CLAPNET_EMU_ADC (raw little-endian int16, written by the
#        emulator from a WAV) as read_u16() would see it: value + 32768.
#        One sample per sample period, so the sample index is the time.
#        CLAPNET_EMU_ADC_FAULTS="3,7" makes those block reads fail.
#   LED: appends "sample_index state" to CLAPNET_EMU_LED_LOG on every change.
import os
import time

FULL_SCALE = 32768

_samples = 0  # samples the ADC has delivered since boot: the emulated clock


class EndOfInput(Exception):
    """The replayed recording has no more samples."""


class ReplayInput:
    def __init__(self, config, rate, midpoint):
        path = os.getenv("CLAPNET_EMU_ADC")
        if not path:
            raise OSError("emulated board has no ADC input: start board_emulator.py with --adc WAV")
        file_rate = int(os.getenv("CLAPNET_EMU_ADC_RATE") or "0")
        if file_rate != rate:
            raise ValueError("emulated ADC replays %d Hz but %d Hz was asked for: restart "
                             "the emulator after pushing the model (it resamples to the "
                             "model's rate)" % (file_rate, rate))
        self.file = open(path, "rb")
        self.rate = rate
        # an I2S microphone delivers signed samples already: no midpoint
        self.offset = 0 if config.INPUT == "i2s" else 32768 - midpoint
        self.samples = 0
        # blocks whose read fails, like a flaky ADC or I2S driver (test hook)
        faults = os.getenv("CLAPNET_EMU_ADC_FAULTS") or ""
        self.faults = [int(v) for v in faults.split(",") if v]
        self.blocks = 0
        self.window = 0  # see keep_windows_whole

    def keep_windows_whole(self, level, window):
        # The replay never pauses, so windows are always whole; only the
        # block size follows the real input (buffer minus one window).
        self.window = window

    def read(self, buf):
        global _samples
        count = len(buf) - self.window
        view = memoryview(buf)[:count]
        self.blocks += 1
        if self.blocks - 1 in self.faults:
            self.file.readinto(view)  # those samples are lost
            raise OSError(5, "emulated ADC read error")
        got = self.file.readinto(view)
        if got < 2 * count:
            raise EndOfInput()
        offset = self.offset
        if offset:
            for i in range(count):
                v = buf[i] + offset
                buf[i] = 32767 if v > 32767 else (-32768 if v < -32768 else v)
        self.samples += count
        _samples += count
        return count


def open_input(config, rate, midpoint=None):
    if midpoint is None:
        midpoint = config.ADC_MIDPOINT
    if config.INPUT not in ("adc", "i2s"):
        raise ValueError("config.INPUT must be 'adc' or 'i2s', not %r" % (config.INPUT,))
    return ReplayInput(config, rate, midpoint)


def measure_rate(source, buf):
    # A replayed recording runs at exactly its rate, in emulated time.
    return source.rate


class Led:
    def __init__(self, config):
        self.log = os.getenv("CLAPNET_EMU_LED_LOG")
        self.state = False

    def set(self, on):
        on = bool(on)
        if on != self.state and self.log:
            with open(self.log, "a") as f:
                f.write("%d %d\n" % (_samples, 1 if on else 0))
        self.state = on

    def toggle(self):
        self.set(not self.state)

    def blink(self, times, ms=150):
        for _ in range(times):
            self.set(True)
            sleep_ms(ms)
            self.set(False)
            sleep_ms(ms)


def sleep_ms(ms):
    # emulated time only moves with samples; do not make tests wait
    time.sleep_ms(min(ms, 5))


def ticks_ms():
    return time.ticks_ms()
