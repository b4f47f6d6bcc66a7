# Features of one window of samples: the numbers the network sees.
#
#   window of samples -> [zero crossings, energy-decay slope, MFCCs...,
#                         sub-frame energies..., spectral centroid, flatness]
#
# Everything that shapes the features lives in a configuration dict that the
# model file carries, so the board always computes the features the model was
# trained on. `Features(config)` precomputes the tables (window function,
# mel filters, DCT) once; `extract()` then works on one window at a time.
import math

from . import fft

VERSION = 1

# The reference design (Arduino Mega, 10-bit ADC, raw counts -508..508),
# expressed for samples normalised to [-1, 1] (raw = 512 * x):
#   |FFT(raw)| / 256 = 2 |FFT(x)|                  -> spectrum_scale 2
#   slope of log10(1 + raw^2) = slope of log10(1/512^2 + x^2)
#                                                  -> energy_floor 2**-18
# Its mel loop weights each band ~1 at the edges and ~0 at the centre (a V,
# not a triangle); mel_shape "reference" reproduces that loop bin for bin.
REFERENCE = {
    "version": VERSION,
    "sample_rate": 35750,
    "window": 256,
    "pretrigger": 0,
    "trigger_level": 350 / 512,
    "overload_level": 509 / 512,
    "refractory": 0.1,
    "remove_dc": False,
    "window_fn": "rect",
    "zcr_scale": 1 / 30,
    "energy_floor": 2.0 ** -18,
    "decay_offset": 0.002,
    "decay_scale": -100.0,
    "spectrum_scale": 2.0,
    "n_mels": 19,
    "fmin": 0.0,
    "fmax": 0.0,  # 0 means the Nyquist frequency
    "mel_shape": "reference",
    "log_floor": 1e-10,
    "n_mfcc": 13,
    "mfcc0_scale": 1 / 30,
    "subframes": 0,
    "centroid": False,
    "flatness": False,
}

# clapnet's default: Hann window, true mel triangles, DC removed, plus
# sub-frame energies (how the clap's burst evolves) and spectral shape.
# 16 bands from 300 Hz, all 16 cepstral coefficients and 8 sub-frames scored
# best in repeated 10-fold CV on the seed recordings (`clapnet bench train`).
DEFAULT = dict(REFERENCE)
DEFAULT.update({
    "remove_dc": True,
    "window_fn": "hann",
    "zcr_scale": 1 / 256,
    "decay_offset": 0.0,
    "decay_scale": 1.0,
    "spectrum_scale": 2 / 256,
    "n_mels": 16,
    "fmin": 300.0,
    "mel_shape": "triangle",
    "n_mfcc": 16,
    "mfcc0_scale": 1.0,
    "subframes": 8,
    "centroid": True,
    "flatness": True,
})

PRESETS = {"default": DEFAULT, "reference": REFERENCE}

# key -> allowed type(s); numbers are checked for range in validate()
_TYPES = {
    "version": int, "sample_rate": int, "window": int, "pretrigger": int,
    "trigger_level": float, "overload_level": float, "refractory": float,
    "remove_dc": bool, "window_fn": str, "zcr_scale": float,
    "energy_floor": float, "decay_offset": float, "decay_scale": float,
    "spectrum_scale": float, "n_mels": int, "fmin": float, "fmax": float,
    "mel_shape": str, "log_floor": float, "n_mfcc": int, "mfcc0_scale": float,
    "subframes": int, "centroid": bool, "flatness": bool,
}


def preset(name):
    """A fresh copy of a named feature configuration."""
    if name not in PRESETS:
        raise ValueError("unknown feature preset %r (choose from %s)"
                         % (name, ", ".join(sorted(PRESETS))))
    return dict(PRESETS[name])


def validate(config):
    """Return config if this code can compute it, else raise ValueError naming the problem."""
    if not isinstance(config, dict):
        raise ValueError("feature configuration must be a dict")
    if config.get("version") != VERSION:
        raise ValueError("feature configuration version %r, this code computes version %d: "
                         "retrain the model with this clapnet, or update the board's shared/"
                         % (config.get("version"), VERSION))
    for key in config:
        if key not in _TYPES:
            raise ValueError("unknown feature setting %r: the model was made by another "
                             "clapnet version" % (key,))
    for key in _TYPES:
        if key not in config:
            raise ValueError("feature setting %r is missing" % (key,))
        value = config[key]
        want = _TYPES[key]
        if want is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value)
        elif want is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, want)
        if not ok:
            raise ValueError("feature setting %r must be %s, got %r" % (key, want.__name__, value))
    n = config["window"]
    if n < 16 or n & (n - 1):
        raise ValueError("window must be a power of two >= 16, got %d" % n)
    if config["sample_rate"] <= 0:
        raise ValueError("sample_rate must be positive")
    if not 0 <= config["pretrigger"] < n:
        raise ValueError("pretrigger must be between 0 and window - 1")
    if not 0.0 < config["trigger_level"] < config["overload_level"] <= 1.0:
        raise ValueError("need 0 < trigger_level < overload_level <= 1 (fractions of full scale)")
    if config["window_fn"] not in ("rect", "hann"):
        raise ValueError("window_fn must be 'rect' or 'hann'")
    if config["mel_shape"] not in ("triangle", "reference"):
        raise ValueError("mel_shape must be 'triangle' or 'reference'")
    if config["energy_floor"] <= 0.0 or config["log_floor"] <= 0.0:
        raise ValueError("energy_floor and log_floor must be positive")
    nyquist = config["sample_rate"] / 2
    fmax = config["fmax"] or nyquist
    if not 0.0 <= config["fmin"] < fmax <= nyquist:
        raise ValueError("need 0 <= fmin < fmax <= sample_rate/2")
    if not 1 <= config["n_mfcc"] <= config["n_mels"]:
        raise ValueError("need 1 <= n_mfcc <= n_mels")
    if config["subframes"] < 0 or (config["subframes"] and n % config["subframes"]):
        raise ValueError("subframes must divide the window length")
    return config


def canonical(config):
    """Config as one line of text that CPython and MicroPython write alike.

    Floats are written with 6 significant digits, which single-precision
    boards (ESP32) reproduce exactly.
    """
    parts = []
    for key in sorted(config):
        v = config[key]
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (int, float)):
            v = "%.6g" % v
        parts.append("%s=%s" % (key, v))
    return ";".join(parts)


def config_hash(config):
    """First 16 hex digits of sha256(canonical(config))."""
    import hashlib
    digest = hashlib.sha256(canonical(config).encode()).digest()
    return "".join("%02x" % b for b in digest[:8])


def feature_names(config):
    names = ["zero_crossings", "energy_decay"]
    names += ["mfcc%d" % i for i in range(config["n_mfcc"])]
    names += ["subframe_energy%d" % i for i in range(config["subframes"])]
    if config["centroid"]:
        names.append("spectral_centroid")
    if config["flatness"]:
        names.append("spectral_flatness")
    return names


def hz_to_mel(f):
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_filters(config):
    """Mel filterbank as sparse rows: [(first_bin, [weights...]), ...].

    "triangle": weight rises 0 -> 1 from a band's lower edge to its centre and
    falls back to 0 at its upper edge. "reference": the reference design's
    loop, which weights (centre - m)/step below the centre and
    (m - centre)/step above it, i.e. a V.
    """
    n = config["window"]
    bins = n // 2 + 1
    rate = config["sample_rate"]
    count = config["n_mels"]
    lo = hz_to_mel(config["fmin"])
    hi = hz_to_mel(config["fmax"] or rate / 2)
    step = (hi - lo) / (count + 1)
    points = [lo + i * step for i in range(count + 2)]
    bin_mel = [hz_to_mel(k * rate / n) for k in range(bins)]
    dense = []
    if config["mel_shape"] == "reference":
        dense = _reference_mel_weights(bin_mel, points, step, count)
    else:
        for f in range(count):
            left, centre, right = points[f], points[f + 1], points[f + 2]
            row = [0.0] * bins
            for k in range(bins):
                m = bin_mel[k]
                if left < m <= centre:
                    row[k] = (m - left) / (centre - left)
                elif centre < m < right:
                    row[k] = (right - m) / (right - centre)
            dense.append(row)
    filters = []
    for f in range(count):
        row = dense[f]
        used = [k for k in range(bins) if row[k] != 0.0]
        if not used:
            raise ValueError("mel filter %d has no FFT bin: use fewer mel filters (n_mels) "
                             "or a longer window" % f)
        first, last = used[0], used[-1]
        filters.append((first, row[first:last + 1]))
    return filters


def _reference_mel_weights(bin_mel, points, step, count):
    # The reference's index walk: each band's lower half reuses the bins of
    # the previous band's upper half.
    bins = len(bin_mel)
    dense = [[0.0] * bins for _ in range(count)]
    first = 0
    last = 0
    for k in range(bins):
        if bin_mel[k] < points[1]:
            last = k
        else:
            break
    for f in range(count):
        row = dense[f]
        for k in range(first, last + 1):
            row[k] += (points[f + 1] - bin_mel[k]) / step
        first = last + 1
        for k in range(first, bins):
            if bin_mel[k] < points[f + 2]:
                last = k
            else:
                break
        for k in range(first, last + 1):
            row[k] += (points[f + 1] - bin_mel[k]) / -step
    return dense


def dct_matrix(n_out, n_in):
    """Orthonormal DCT-II rows: c[k][i] = s_k cos(pi k (2i+1) / 2 n_in)."""
    rows = []
    for k in range(n_out):
        s = math.sqrt((1.0 if k == 0 else 2.0) / n_in)
        rows.append([s * math.cos(math.pi * k * (2 * i + 1) / (2.0 * n_in))
                     for i in range(n_in)])
    return rows


def window_function(config):
    n = config["window"]
    if config["window_fn"] == "hann":
        # periodic Hann, the usual choice for spectral analysis
        return [0.5 - 0.5 * math.cos(2.0 * math.pi * i / n) for i in range(n)]
    return None


class Features:
    """Feature extractor for one configuration. Build once, extract many."""

    def __init__(self, config, backend=None):
        self.config = validate(config)
        c = config
        self.n = c["window"]
        self.count = len(feature_names(c))
        self.spectrum = fft.Spectrum(self.n, backend)
        self.window_fn = window_function(c)
        self.mel_filters = mel_filters(c)
        self.dct = dct_matrix(c["n_mfcc"], c["n_mels"])
        # working buffers, reused by every extract()
        self._x = [0.0] * self.n
        self._log_mel = [0.0] * c["n_mels"]
        # least-squares slope against i = 0..n-1: sum((i - mean_i) y_i) / sum((i - mean_i)^2)
        self._i_mean = (self.n - 1) / 2.0
        self._i_var = self.n * (self.n * self.n - 1) / 12.0

    @property
    def backend(self):
        return self.spectrum.backend

    def extract(self, window, scale=1.0, out=None):
        """Features of one window.

        window: n samples, floats in [-1, 1], or integers with `scale` that
            maps them there (e.g. 1/32768 for centred 16-bit ADC counts).
        out: optional list of feature count floats to fill instead of a new one.
        """
        c = self.config
        n = self.n
        if len(window) != n:
            raise ValueError("window has %d samples, this model needs %d" % (len(window), n))
        x = self._x
        total = 0.0
        for i in range(n):
            v = window[i] * scale
            x[i] = v
            total += v
        if not (total == total and total - total == 0.0):
            raise ValueError("window contains NaN or infinite samples")
        if c["remove_dc"]:
            mean = total / n
            for i in range(n):
                x[i] -= mean
        if out is None:
            out = [0.0] * self.count
        elif len(out) != self.count:
            raise ValueError("out must hold %d features" % self.count)

        # zero crossings: sign changes, with 0 counted as positive
        crossings = 0
        neg = x[0] < 0.0
        for i in range(1, n):
            now = x[i] < 0.0
            if now != neg:
                crossings += 1
            neg = now
        out[0] = crossings * c["zcr_scale"]

        # energy decay: least-squares slope of log10(floor + x^2) over time;
        # clap energy falls fast after the burst
        floor = c["energy_floor"]
        log10 = math.log10
        acc = 0.0
        i_mean = self._i_mean
        for i in range(n):
            v = x[i]
            acc += (i - i_mean) * log10(floor + v * v)
        out[1] = c["decay_offset"] + c["decay_scale"] * (acc / self._i_var)

        # sub-frame energies, taken before windowing so the burst's edges count
        pos = 2 + c["n_mfcc"]
        parts = c["subframes"]
        if parts:
            size = n // parts
            for p in range(parts):
                e = 0.0
                for i in range(p * size, (p + 1) * size):
                    e += x[i] * x[i]
                out[pos + p] = log10(floor + e / size)

        # magnitude spectrum -> mel bands -> log -> DCT = MFCCs
        w = self.window_fn
        if w is not None:
            for i in range(n):
                x[i] *= w[i]
        mag = self.spectrum.magnitude(x)
        s = c["spectrum_scale"]
        log_floor = c["log_floor"]
        log_mel = self._log_mel
        for f in range(len(log_mel)):
            first, weights = self.mel_filters[f]
            e = 0.0
            for j in range(len(weights)):
                e += weights[j] * mag[first + j]
            e *= s
            log_mel[f] = log10(e if e > log_floor else log_floor)
        for k in range(c["n_mfcc"]):
            row = self.dct[k]
            acc = 0.0
            for f in range(len(log_mel)):
                acc += row[f] * log_mel[f]
            out[2 + k] = acc
        out[2] *= c["mfcc0_scale"]

        pos += parts
        bins = self.spectrum.bins
        if c["centroid"]:
            weighted = 0.0
            total = 0.0
            for k in range(bins):
                weighted += k * mag[k]
                total += mag[k]
            out[pos] = weighted / total / (bins - 1) if total > 0.0 else 0.0
            pos += 1
        if c["flatness"]:
            # log10 of geometric mean / arithmetic mean of the power spectrum
            tiny = log_floor * log_floor
            logs = 0.0
            power = 0.0
            for k in range(bins):
                p = mag[k] * mag[k] * s * s + tiny
                logs += log10(p)
                power += p
            out[pos] = logs / bins - log10(power / bins)
        return out
