# Magnitude spectrum |X[k]|, k = 0..n/2, of one real window.
#
# Three backends give the same numbers (to float precision):
#   "ulab"  - ulab's utils.spectrogram on a MicroPython firmware built with ulab
#   "numpy" - numpy.fft.rfft on CPython
#   "pure"  - an in-place radix-2 FFT in plain Python, runs everywhere
# `best_backend()` picks the fastest one that imports.
import math


def best_backend():
    try:
        from ulab import numpy as _unp  # noqa: F401  (MicroPython firmware with ulab)
        return "ulab"
    except ImportError:
        pass
    try:
        import numpy  # noqa: F401
        return "numpy"
    except ImportError:
        return "pure"


class Spectrum:
    """Reusable magnitude-spectrum computer for windows of n samples.

    Everything a call needs is allocated here, once, so `magnitude()` does
    not allocate per window on the pure and ulab backends.
    """

    def __init__(self, n, backend=None):
        if n < 2 or n & (n - 1):
            raise ValueError("FFT length must be a power of two >= 2, got %r" % (n,))
        self.n = n
        self.backend = backend or best_backend()
        self.bins = n // 2 + 1
        if self.backend == "pure":
            self._init_pure()
        elif self.backend == "numpy":
            import numpy
            self._np = numpy
        elif self.backend == "ulab":
            self._init_ulab()
        else:
            raise ValueError("unknown FFT backend %r (use pure, numpy or ulab)" % (backend,))

    def magnitude(self, x):
        """|FFT(x)| for bins 0..n/2. x: sequence of n floats.

        Returns a list (pure, numpy) or a float ndarray (ulab) of n/2+1 values,
        owned by this object and overwritten by the next call.
        """
        if self.backend == "pure":
            return self._pure(x)
        if self.backend == "numpy":
            np = self._np
            return np.abs(np.fft.rfft(np.asarray(x, dtype=float))).tolist()
        return self._ulab(x)

    # --- pure Python ------------------------------------------------------
    # A real window of n samples is packed into n/2 complex values
    # z[k] = x[2k] + i x[2k+1], transformed with an in-place radix-2 FFT of
    # size m = n/2, and split into the n/2+1 bins of the real spectrum. Half
    # the butterflies of a full complex FFT, and on MicroPython every float
    # operation allocates, so this halves the garbage too.
    def _init_pure(self):
        n = self.n
        m = n // 2
        bits = 0
        while (1 << bits) < m:
            bits += 1
        # bit-reversed index of every position, so reordering is one pass
        self._rev = [0] * m
        for i in range(m):
            r = 0
            v = i
            for _ in range(bits):
                r = (r << 1) | (v & 1)
                v >>= 1
            self._rev[i] = r
        # twiddles w^k = exp(-2 pi i k / n), k = 0..n/2; the size-m FFT uses
        # every second one
        self._cos = [math.cos(2.0 * math.pi * k / n) for k in range(m + 1)]
        self._sin = [-math.sin(2.0 * math.pi * k / n) for k in range(m + 1)]
        self._re = [0.0] * m
        self._im = [0.0] * m
        self._out = [0.0] * self.bins

    def _pure(self, x):
        m = self.n // 2
        re = self._re
        im = self._im
        rev = self._rev
        for k in range(m):
            j = rev[k]
            re[j] = x[2 * k]
            im[j] = x[2 * k + 1]
        cos_t = self._cos
        sin_t = self._sin
        size = 2
        while size <= m:
            half = size >> 1
            step = self.n // size
            for start in range(0, m, size):
                t = 0
                for j in range(start, start + half):
                    wr = cos_t[t]
                    wi = sin_t[t]
                    h = j + half
                    tr = wr * re[h] - wi * im[h]
                    ti = wr * im[h] + wi * re[h]
                    re[h] = re[j] - tr
                    im[h] = im[j] - ti
                    re[j] += tr
                    im[j] += ti
                    t += step
            size <<= 1
        # split: X[k] = E[k] + w^k O[k], with E, O the spectra of the even and
        # odd samples, recovered from z's spectrum Z and its mirror Z[m-k]
        out = self._out
        sqrt = math.sqrt
        for k in range(m + 1):
            a = re[k] if k < m else re[0]
            b = im[k] if k < m else im[0]
            c = re[m - k] if k > 0 else re[0]
            d = im[m - k] if k > 0 else im[0]
            e_re = (a + c) * 0.5
            e_im = (b - d) * 0.5
            o_re = (b + d) * 0.5
            o_im = (c - a) * 0.5
            wr = cos_t[k]
            wi = sin_t[k]
            x_re = e_re + wr * o_re - wi * o_im
            x_im = e_im + wr * o_im + wi * o_re
            out[k] = sqrt(x_re * x_re + x_im * x_im)
        return out

    # --- ulab (MicroPython firmware built with ulab) -----------------------
    # Cannot run on the host (ulab is not on PyPI), so it is kept to the
    # documented calls. utils.spectrogram(x, out=, scratchpad=) gives |FFT| of
    # all n bins without allocating; firmwares built without the utils module
    # fall back to numpy.fft.fft, which returns one complex array, or a
    # (re, im) tuple on builds without complex support.
    def _init_ulab(self):
        from ulab import numpy as unp
        self._unp = unp
        self._x = unp.zeros(self.n, dtype=unp.float)
        self._full = unp.zeros(self.n, dtype=unp.float)
        self._scratch = unp.zeros(2 * self.n, dtype=unp.float)
        try:
            from ulab import utils
            self._spectrogram = utils.spectrogram
        except (ImportError, AttributeError):
            self._spectrogram = None

    def _ulab(self, x):
        buf = self._x
        for i in range(self.n):
            buf[i] = x[i]
        if self._spectrogram is not None:
            # bins above n/2 mirror the lower half; callers index 0..n/2 only
            return self._spectrogram(buf, out=self._full, scratchpad=self._scratch)
        unp = self._unp
        spectrum = unp.fft.fft(buf)
        if isinstance(spectrum, tuple):
            re, im = spectrum
            return unp.sqrt(re * re + im * im)
        return abs(spectrum)
