# clapnet firmware: listen, and toggle the LED on a clap.
#
#   mpremote connect PORT run device/main.py      (or `clapnet run --port PORT`)
#
# Copy it to the board as /main.py to start at power-up. Needs on the flash:
# config.py, hw.py, shared/ and model.json (`clapnet push` copies them all).
#
# microphone -> block of centred samples -> shared Detector (trigger, features,
# network, double-clap rule) -> LED + one printed line per event:
#   clap p=0.97 at=123456          (at = stream sample index of the window start)
#   not a clap p=0.12 at=234567
#   too loud (overload) at=345678
import array
import sys

import calibrate
import config
import hw
from shared import detector, network


def load_model(led):
    """The model to run: model.json, else the backup the last push kept."""
    for path in (config.MODEL, config.BACKUP_MODEL):
        try:
            model = network.load(path)
        except network.ModelError as e:
            print("model refused: %s" % e)
            # three short blinks: the model file is bad
            led.blink(3, 100)
            continue
        print("model: %s, labels %s, threshold %.2f, %s" % (
            path, ",".join(model["labels"]), model["threshold"], file_sha256(path)[:12]))
        return model
    return None


def file_sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1024)
            if not chunk:
                break
            h.update(chunk)
    return "".join("%02x" % b for b in h.digest())


def main():
    led = hw.Led(config)
    model = load_model(led)
    if model is None:
        print("no usable model: train one and run `clapnet push --port PORT model.json`")
        led.blink(10, 50)
        return
    rate = model["features"]["sample_rate"]
    midpoint, level = calibrate.load()
    det = detector.Detector(model, hw.FULL_SCALE, config.DOUBLE_CLAP_GAP)
    if level is not None:
        # the trigger level is not a feature: moving it leaves the features
        # the model was trained on unchanged
        det.trigger.level = level * hw.FULL_SCALE
        print("trigger level %.3f (calibrated)" % level)
    source = hw.open_input(config, rate, midpoint)
    # room for a plain block plus one window: see hw.AdcInput.keep_windows_whole
    window = model["features"]["window"]
    block = array.array("h", bytes(2 * (config.BLOCK + window)))
    source.keep_windows_whole(det.trigger.level, window)
    achieved = hw.measure_rate(source, block)
    print("input %s, sampling at %d Hz (model %d Hz)" % (config.INPUT, achieved, rate))
    if abs(achieved - rate) > config.RATE_TOLERANCE * rate:
        print("warning: the board samples at %d Hz, not the model's %d Hz: record training "
              "data on this board (`clapnet record`) and train on it" % (achieved, rate))
    if config.DOUBLE_CLAP_GAP:
        print("double-clap mode: two claps within %.2f s toggle the LED" % config.DOUBLE_CLAP_GAP)
    listen(det, source, block, led)


def listen(det, source, block, led):
    events = claps = toggles = errors = 0
    try:
        while True:
            try:
                size = source.read(block)
                offset = 0
                while offset < size:
                    used, event = det.feed(block, size - offset, offset)
                    offset += used
                    if event is not None:
                        events += 1
                        claps += event.clap
                        toggles += event.toggle
                        report(event, led)
                errors = 0
            except (hw.EndOfInput, KeyboardInterrupt):
                raise
            except Exception as e:
                # keep listening: one bad block must not silence the board
                errors += 1
                print("error in main loop:")
                sys.print_exception(e)
                if errors >= config.MAX_ERRORS_IN_A_ROW:
                    print("giving up after %d errors in a row" % errors)
                    break
    except hw.EndOfInput:
        print("end of input")
    except KeyboardInterrupt:
        print("stopped")
    print("done: %d events, %d claps, %d LED toggles, LED %s"
          % (events, claps, toggles, "on" if led.state else "off"))


def report(event, led):
    if event.p is None:
        print("too loud (overload) at=%d" % event.start)
        return
    if event.toggle:
        led.toggle()
    print("%s p=%.2f at=%d" % ("clap" if event.clap else "not a clap", event.p, event.start))


main()
