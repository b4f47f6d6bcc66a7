# Runs under the MicroPython unix port for tools/bench_firmware.py, in a folder
# holding shared/ (as .py or .mpy) and model.json:
#   micropython detect_bench.py WINDOWS.bin
# WINDOWS.bin: little-endian int16 windows back to back (centred, full scale 32768).
# Prints one JSON line: import time, per-window time and heap of the detection
# step (the Detector.feed call that completes a window: trigger, features,
# network, decision) and the trigger's cost per quiet sample.
import array
import gc
import json
import sys
import time

t0 = time.ticks_us()
from shared import detector, network  # noqa: E402
import_us = time.ticks_diff(time.ticks_us(), t0)


def main():
    model = network.load("model.json")
    n = model["features"]["window"]
    with open(sys.argv[1], "rb") as f:
        samples = array.array("h", f.read())
    count = len(samples) // n
    det = detector.Detector(model, 32768)
    window = array.array("h", bytes(2 * n))
    # quiet long enough to cover the refractory time after each window
    quiet = array.array("h", bytes(2 * (int(model["features"]["refractory"] *
                                               model["features"]["sample_rate"]) + n)))
    times = []
    heap = []
    quiet_us = 0
    gc.collect()
    gc.disable()
    for w in range(count):
        window[:] = samples[w * n:(w + 1) * n]
        before = gc.mem_alloc()
        t = time.ticks_us()
        used, event = det.feed(window)
        times.append(time.ticks_diff(time.ticks_us(), t))
        heap.append(gc.mem_alloc() - before)
        if event is None or used != n:
            raise SystemExit("window %d did not trigger at its first sample" % w)
        t = time.ticks_us()
        det.feed(quiet)
        quiet_us += time.ticks_diff(time.ticks_us(), t)
        gc.collect()
    gc.enable()
    print(json.dumps({"windows": count, "import_us": import_us,
                      "window_us_mean": sum(times) / count, "window_us_max": max(times),
                      "heap_bytes_mean": sum(heap) / count, "heap_bytes_max": max(heap),
                      "quiet_us_per_sample": quiet_us / (count * len(quiet))}))


main()
