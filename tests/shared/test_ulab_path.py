"""The ulab branch of shared/fft.py, against a stand-in for ulab built on numpy.

ulab is not on PyPI, so this checks our side of the contract described in
../shared/notes/target-facts.md: utils.spectrogram(x, out=, scratchpad=) when
the firmware has it, else numpy.fft.fft returning one complex array or, on
builds without complex support, a (re, im) tuple.
"""
import sys
import types

import numpy as np
import pytest

from clapnet.shared import fft


def fake_ulab(monkeypatch, spectrogram=True, complex_support=True):
    calls = []
    unp = types.ModuleType("ulab.numpy")
    unp.float = np.float64
    unp.zeros = lambda n, dtype=None: np.zeros(n, dtype=dtype)
    unp.sqrt = np.sqrt

    def fft_(x, im=None):
        calls.append("fft")
        spectrum = np.fft.fft(x)
        return spectrum if complex_support else (spectrum.real.copy(), spectrum.imag.copy())

    unp.fft = types.SimpleNamespace(fft=fft_)
    ulab = types.ModuleType("ulab")
    ulab.numpy = unp
    modules = {"ulab": ulab, "ulab.numpy": unp}
    if spectrogram:
        utils = types.ModuleType("ulab.utils")

        def spectrogram_(x, out=None, scratchpad=None):
            calls.append(("spectrogram", out is not None, scratchpad is not None
                          and len(scratchpad) == 2 * len(x)))
            out[:] = np.abs(np.fft.fft(x))
            return out

        utils.spectrogram = spectrogram_
        ulab.utils = utils
        modules["ulab.utils"] = utils
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return calls


@pytest.mark.parametrize("spectrogram, complex_support", [(True, True), (False, True),
                                                          (False, False)])
def test_ulab_backend_gives_the_numpy_spectrum(monkeypatch, spectrogram, complex_support):
    calls = fake_ulab(monkeypatch, spectrogram, complex_support)
    assert fft.best_backend() == "ulab"
    spectrum = fft.Spectrum(256)
    x = np.random.default_rng(2).uniform(-1, 1, 256)
    got = spectrum.magnitude(list(x))
    assert np.allclose(np.asarray(got)[:129], np.abs(np.fft.rfft(x)), atol=1e-12)
    if spectrogram:
        # the preallocated output and scratchpad are passed, so no allocation per call
        assert calls == [("spectrogram", True, True)]
    else:
        assert calls == ["fft"]


def test_features_run_on_the_ulab_backend(monkeypatch):
    fake_ulab(monkeypatch)
    from clapnet.shared import features
    config = features.preset("default")
    x = np.random.default_rng(3).normal(0, 0.2, 256)
    via_ulab = features.Features(config, "ulab").extract(list(x))
    via_numpy = features.Features(config, "numpy").extract(list(x))
    assert np.allclose(via_ulab, via_numpy, atol=1e-12)
