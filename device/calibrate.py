# Calibration: listen to the quiet room for a moment, then set the ADC
# midpoint (the value of silence) and the trigger level (above the noise).
#
#   mpremote connect PORT run device/calibrate.py     (stay quiet while it runs)
#
# Writes calibration.json on the flash; main.py and record.py use it.
import array
import json
import os

import config
import hw
from shared import features, network


def feature_config():
    """The model's feature configuration, or the default preset without a model."""
    try:
        return network.load(config.MODEL)["features"]
    except network.ModelError:
        return features.preset("default")


def load():
    """(midpoint, trigger_level) from calibration.json, or (None, None)."""
    try:
        with open(config.CALIBRATION) as f:
            c = json.load(f)
        return int(c["midpoint"]), float(c["trigger_level"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def calibrate():
    cfg = feature_config()
    rate = cfg["sample_rate"]
    source = hw.open_input(config, rate, config.ADC_MIDPOINT)
    block = array.array("h", bytes(2 * config.BLOCK))
    blocks = int(config.CALIBRATION_SECONDS * rate) // len(block) + 1
    total = 0
    low = 32767
    high = -32768
    squares = 0.0
    for _ in range(blocks):
        source.read(block)
        for v in block:
            total += v
            squares += v * v
            if v < low:
                low = v
            if v > high:
                high = v
    count = blocks * len(block)
    mean = total / count
    rms = (squares / count - mean * mean) ** 0.5
    peak = max(high - mean, mean - low) / hw.FULL_SCALE
    level = peak * config.CALIBRATION_MARGIN
    level = max(level, config.MIN_TRIGGER_LEVEL)
    level = min(level, 0.9 * cfg["overload_level"])
    result = {
        "midpoint": config.ADC_MIDPOINT + int(round(mean)),
        "noise_rms": rms / hw.FULL_SCALE,
        "noise_peak": peak,
        "trigger_level": level,
        "model_trigger_level": cfg["trigger_level"],
    }
    # write then rename: a reset mid-write never leaves a half file
    tmp = config.CALIBRATION + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    try:
        os.rename(tmp, config.CALIBRATION)
    except OSError:
        os.remove(config.CALIBRATION)
        os.rename(tmp, config.CALIBRATION)
    print("calibration: midpoint %d, noise rms %.4f, noise peak %.4f of full scale"
          % (result["midpoint"], result["noise_rms"], peak))
    print("trigger level %.3f (the model was trained with %.3f); saved to %s"
          % (level, cfg["trigger_level"], config.CALIBRATION))
    return result


if __name__ == "__main__":
    calibrate()
