"""Building and running the AVR (Arduino Mega 2560) sketch, for the tests and
`clapnet bench avr`:

    model.json --export-header--> model.h + device/avr/clapnet/*.h
        --g++-->      tools/avr/host_detect.cpp: the library on the host
        --avr-g++-->  clapnet.ino for the atmega2560, run in simavr by
                      tools/avr/harness.c with samples injected into ADC0
"""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .. import paths
from ..errors import ClapnetError
from . import header as export_header

SKETCH = paths.device() / "avr" / "clapnet"
TOOLS = paths.tools() / "avr"

F_CPU = 16000000
ADC_MID = 511  # the sketch's adc_mid: ADC count of silence
FULL_SCALE = 512  # the sketch's full_scale: centred counts of 1.0

AVR_FLAGS = ["-Os", "-mmcu=atmega2560", "-DF_CPU=%dUL" % F_CPU, "-std=gnu++11",
             "-Wall", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"]


# --- building ------------------------------------------------------------

def tool(name, package):
    path = shutil.which(name)
    if path is None:
        raise ClapnetError("%s is missing: install %s (bash tools/setup does)" % (name, package))
    return path


def run_tool(command, what, timeout=600):
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise ClapnetError("%s failed:\n%s%s" % (what, result.stdout, result.stderr))
    return result


def prepare_sketch(model, folder):
    """A copy of device/avr/clapnet in folder/clapnet with model.h for `model`."""
    sketch = Path(folder) / "clapnet"
    shutil.copytree(SKETCH, sketch, dirs_exist_ok=True)
    export_header.export(model, sketch / "model.h", "clapnet")
    return sketch


def build_host(sketch, output):
    """tools/avr/host_detect.cpp against the sketch's library and model.h."""
    run_tool([tool("g++", "g++"), "-O2", "-std=gnu++11", "-Wall", "-I", sketch,
              TOOLS / "host_detect.cpp", "-o", output], "g++ build of host_detect")
    return Path(output)


def build_avr(sketch, output, verbose=True, bench=False):
    """The sketch as an atmega2560 ELF, built with avr-gcc alone (no Arduino core)."""
    defines = ["-DCLAPNET_VERBOSE=%d" % verbose, "-DCLAPNET_BENCH=%d" % bench]
    run_tool([tool("avr-g++", "gcc-avr avr-libc")] + AVR_FLAGS + defines +
             ["-x", "c++", Path(sketch) / "clapnet.ino", "-o", output],
             "avr-g++ build of the sketch")
    return Path(output)


def build_arduino(sketch, build_dir, verbose=True):
    """The sketch built with the Arduino core (Debian's arduino-core-avr) by
    arduino-builder; returns the ELF. DECIMAL_DIG=9 lets gcc-avr 5.4 compile
    the core's WString.cpp."""
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    flags = "-DDECIMAL_DIG=9 -DCLAPNET_VERBOSE=%d" % verbose
    run_tool([tool("arduino-builder", "arduino-builder arduino-core-avr"),
              "-hardware", "/usr/share/arduino/hardware", "-hardware", "/usr/share/arduino-builder",
              "-tools", "/usr/share/arduino-builder", "-fqbn", "arduino:avr:mega:cpu=atmega2560",
              "-build-path", build_dir, "-prefs=compiler.cpp.extra_flags=" + flags,
              Path(sketch) / "clapnet.ino"], "arduino-builder build of the sketch")
    return build_dir / "clapnet.ino.elf"


def build_harness(output):
    """tools/avr/harness.c linked with libsimavr."""
    flags = run_tool([tool("pkg-config", "pkg-config"), "--cflags", "--libs", "simavr"],
                     "pkg-config simavr (install libsimavr-dev)").stdout.split()
    run_tool([tool("gcc", "gcc"), "-O2", "-Wall", TOOLS / "harness.c"] + flags +
             ["-lelf", "-o", output], "gcc build of the simavr harness")
    return Path(output)


def avr_size(elf):
    """(flash bytes, static SRAM bytes) from avr-size's section table."""
    out = run_tool([tool("avr-size", "binutils-avr"), "-A", elf], "avr-size").stdout
    sections = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    flash = sections.get(".text", 0) + sections.get(".data", 0)
    sram = sections.get(".data", 0) + sections.get(".bss", 0) + sections.get(".noinit", 0)
    return flash, sram


# --- running -------------------------------------------------------------

def make_stream(windows, gap):
    """Recordings (centred int counts, one per row) laid end to end, each after
    `gap` samples of silence, with silence at the end: a stream the trigger
    cuts back into the same windows."""
    windows = np.asarray(windows, dtype=np.int16)
    silence = np.zeros(gap, dtype=np.int16)
    parts = []
    for w in windows:
        parts += [silence, w]
    parts.append(silence)
    return np.concatenate(parts)


def run_host(binary, stream, double_clap_gap=0):
    result = subprocess.run([str(binary), str(FULL_SCALE), str(double_clap_gap)],
                            input=np.asarray(stream, dtype="<i2").tobytes(),
                            capture_output=True, timeout=600)
    if result.returncode != 0:
        raise ClapnetError("host_detect failed: %s" % result.stderr.decode(errors="replace"))
    return result.stdout.decode()


def run_simavr(harness, elf, stream, tail=0.5):
    """UART output of the firmware fed with `stream` (centred counts) on ADC0."""
    with tempfile.TemporaryDirectory(prefix="clapnet-avr-") as tmp:
        samples = Path(tmp) / "samples.bin"
        counts = np.asarray(stream, dtype=np.int32) + ADC_MID
        if counts.min() < 0 or counts.max() > 1023:
            raise ClapnetError("samples outside the 10-bit ADC range")
        samples.write_bytes(counts.astype("<u2").tobytes())
        result = subprocess.run([str(harness), str(elf), str(samples), str(tail)],
                                capture_output=True, timeout=1800)
    if result.returncode != 0:
        raise ClapnetError("simavr run failed: %s" % result.stderr.decode(errors="replace"))
    return result.stdout.decode(errors="replace")


def bits_to_floats(words):
    return np.array([int(w, 16) for w in words], dtype=np.uint32).view(np.float32)


def parse_events(text, feature_count):
    """Events printed by the sketch (CLAPNET_VERBOSE=1) or host_detect:
    dicts with start, status ("ok"/"overload"), features, probabilities,
    clap, toggle and, with CLAPNET_BENCH, cycles (features, forward) and
    stages (cycles of each stage of the features, see clapnet.ino) and stack
    (deepest stack so far, bytes)."""
    events = []
    missed = 0
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "F":
            values = bits_to_floats(parts[2:])
            events.append({"start": int(parts[1]), "status": "ok",
                           "features": values[:feature_count],
                           "probabilities": values[feature_count:]})
        elif parts[0] == "B":
            events[-1]["cycles"] = (int(parts[1]), int(parts[2]))
            events[-1]["stages"] = [int(v) for v in parts[3:]]
        elif parts[0] == "S":
            events[-1]["stack"] = int(parts[1])
        elif parts[0] in ("clap", "other"):
            events[-1]["clap"] = parts[0] == "clap"
            events[-1]["toggle"] = "led=" in line
        elif parts[0] == "overload":
            start = int(re.search(r"start=(\d+)", line).group(1))
            events.append({"start": start, "status": "overload"})
        elif parts[0] == "missed":
            missed = int(parts[1])
    if missed:
        raise ClapnetError("the firmware dropped %d windows: it was still busy with the "
                           "previous one (leave longer gaps between recordings)" % missed)
    return sorted(events, key=lambda e: e["start"])
