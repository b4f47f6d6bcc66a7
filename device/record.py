# Board side of `clapnet record`: stream every trigger-aligned window to the host.
#
#   import record; record.main()      (the host starts it through mpremote)
#
# One ASCII line per message, so nothing in it can look like a REPL control
# byte on the USB serial line:
#   @R <rate>                             once, the rate the board samples at
#   @W <seq> <rate> <n> <peak> <crc> <b64>  a window: n little-endian int16
#                                         samples (centred, full scale 32768),
#                                         base64; crc = crc32 (hex) of
#                                         "<seq> <rate> <n> <peak>" then the samples
#   @O <seq> <start>                      a window that reached the overload level
#   @E <reason>                           end of the stream
# The host rejects a line whose crc does not match: it is never saved.
import array
import binascii
import sys

import calibrate
import config
import hw
from shared import trigger


def main():
    cfg = calibrate.feature_config()
    rate = cfg["sample_rate"]
    midpoint, level = calibrate.load()
    trig = trigger.Trigger(cfg, hw.FULL_SCALE)
    if level is not None:
        trig.level = level * hw.FULL_SCALE
    source = hw.open_input(config, rate, midpoint)
    # room for a plain block plus one window: see hw.AdcInput.keep_windows_whole
    block = array.array("h", bytes(2 * (config.BLOCK + cfg["window"])))
    source.keep_windows_whole(trig.level, cfg["window"])
    frame = array.array("h", bytes(2 * cfg["window"]))
    achieved = hw.measure_rate(source, block)
    if abs(achieved - rate) <= config.RATE_TOLERANCE * rate:
        achieved = rate  # the model's rate, so recordings and model agree exactly
    print("@R %d" % achieved)
    seq = 0
    try:
        while True:
            size = source.read(block)
            offset = 0
            while offset < size:
                offset += trig.feed(block, size - offset, offset)
                if trig.status == trigger.OK:
                    send(seq, achieved, trig.window, frame)
                    seq += 1
                elif trig.status == trigger.OVERLOAD:
                    print("@O %d %d" % (seq, trig.start))
    except hw.EndOfInput:
        print("@E end of input")
    except KeyboardInterrupt:
        print("@E stopped")


def send(seq, rate, window, frame):
    peak = 0
    for i in range(len(window)):
        v = window[i]
        frame[i] = v
        if v > peak:
            peak = v
        elif -v > peak:
            peak = -v
    header = "%d %d %d %d" % (seq, rate, len(frame), peak)
    crc = binascii.crc32(frame, binascii.crc32(header.encode())) & 0xFFFFFFFF
    sys.stdout.write("@W %s %08x " % (header, crc))
    sys.stdout.write(binascii.b2a_base64(frame).decode())
