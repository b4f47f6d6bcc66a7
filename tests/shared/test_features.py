"""shared/features.py and shared/fft.py on CPython: backends agree, presets mean
what the README says, and bad windows fail clearly."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from clapnet.shared import features, fft


@pytest.fixture(scope="module", params=["default", "reference"])
def config(request):
    return features.preset(request.param)


def test_pure_and_numpy_backends_agree_on_all_seed_recordings(seed, config):
    x, _ = seed
    pure = features.Features(config, backend="pure")
    fast = features.Features(config, backend="numpy")
    a = np.array([pure.extract(w) for w in x])
    b = np.array([fast.extract(w) for w in x])
    assert a.shape == (229, len(features.feature_names(config)))
    assert np.all(np.isfinite(a))
    diff = np.abs(a - b).max()
    print("max |pure - numpy| = %.3g" % diff)
    assert diff <= 1e-9


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([16, 64, 256]), st.integers(0, 2**32 - 1))
def test_pure_fft_matches_numpy(n, seed):
    x = np.random.default_rng(seed).uniform(-1, 1, n)
    got = fft.Spectrum(n, "pure").magnitude(list(x))
    assert np.allclose(got, np.abs(np.fft.rfft(x)), atol=1e-9)


def test_fft_rejects_lengths_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        fft.Spectrum(100, "pure")


def test_feature_names_match_vector_length(config):
    f = features.Features(config, "pure").extract([0.1] * config["window"])
    assert len(f) == len(features.feature_names(config))


def test_reference_preset_reproduces_reference_formulas(seed):
    """The reference design works on raw ADC counts (x * 512): check its scaling
    rules against a direct numpy computation of the documented formulas."""
    x, _ = seed
    config = features.preset("reference")
    ex = features.Features(config, "numpy")
    raw = x[7] * 512
    f = ex.extract(x[7])
    signs = np.signbit(raw)
    assert f[0] == pytest.approx(np.sum(signs[1:] != signs[:-1]) / 30)
    slope = np.polyfit(np.arange(256), np.log10(1 + raw * raw), 1)[0]
    assert f[1] == pytest.approx(0.002 - 100 * slope, rel=1e-9)
    magnitude = np.abs(np.fft.rfft(raw)) / 256
    mel = np.zeros(19)
    for i, (first, w) in enumerate(features.mel_filters(config)):
        mel[i] = np.log10(np.dot(w, magnitude[first:first + len(w)]))
    dct = np.array(features.dct_matrix(13, 19))
    mfcc = dct @ mel
    mfcc[0] /= 30
    assert np.allclose(f[2:], mfcc, rtol=1e-9, atol=1e-12)


def test_reference_mel_weights_are_v_shaped_and_default_are_triangles():
    ref = features.mel_filters(features.preset("reference"))
    tri = features.mel_filters(features.preset("default"))
    # a middle band with several bins shows the shape
    _, v = ref[12]
    _, t = tri[12]
    assert len(v) >= 5 and len(t) >= 5
    assert max(v[0], v[-1]) > 0.7 and min(v) < 0.3 and np.argmin(v) not in (0, len(v) - 1)
    assert max(t) > 0.7 and max(t[0], t[-1]) < 0.5 and np.argmax(t) not in (0, len(t) - 1)


def test_dct_is_orthonormal():
    d = np.array(features.dct_matrix(20, 20))
    assert np.allclose(d @ d.T, np.eye(20), atol=1e-12)


def test_silence_clipping_and_dc_give_finite_features(config):
    ex = features.Features(config, "pure")
    n = config["window"]
    square = [1.0 if (i // 8) % 2 else -1.0 for i in range(n)]
    for window in ([0.0] * n, [1.0] * n, square, [0.3 + 0.01 * math.sin(i) for i in range(n)]):
        assert all(math.isfinite(v) for v in ex.extract(window))


def test_dc_offset_is_removed_by_default():
    ex = features.Features(features.preset("default"), "pure")
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.2, 256)
    assert np.allclose(ex.extract(w), ex.extract(w + 0.3), atol=1e-9)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_or_inf_sample_is_a_clear_error(config, bad):
    w = [0.1] * config["window"]
    w[10] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        features.Features(config, "pure").extract(w)


def test_wrong_window_length_is_a_clear_error(config):
    with pytest.raises(ValueError, match="window has 100 samples, this model needs 256"):
        features.Features(config, "pure").extract([0.0] * 100)


def test_integer_samples_with_scale_equal_floats(seed):
    x, _ = seed
    ex = features.Features(features.preset("default"), "pure")
    counts = [int(v) for v in np.round(x[3] * 32768)]
    assert np.allclose(ex.extract(counts, scale=1 / 32768), ex.extract(x[3]), atol=1e-12)


def test_out_buffer_is_filled_in_place():
    ex = features.Features(features.preset("default"), "pure")
    out = [0.0] * ex.count
    result = ex.extract([0.1 * math.sin(i) for i in range(256)], out=out)
    assert result is out and any(v != 0.0 for v in out)


@pytest.mark.parametrize("change, message", [
    ({"window": 100}, "power of two"),
    ({"n_mfcc": 30}, "n_mfcc"),
    ({"window_fn": "hamming"}, "window_fn"),
    ({"sample_rate": "fast"}, "sample_rate"),
    ({"version": 99}, "version"),
    ({"colour": "red"}, "unknown feature setting"),
    ({"trigger_level": 1.5}, "trigger_level"),
    ({"subframes": 3}, "subframes"),
])
def test_invalid_configuration_is_named(change, message):
    config = features.preset("default")
    config.update(change)
    with pytest.raises(ValueError, match=message):
        features.validate(config)


def test_too_many_mel_filters_for_the_window_is_named():
    config = features.preset("default")
    config.update(n_mels=60, n_mfcc=13)
    with pytest.raises(ValueError, match="no FFT bin"):
        features.Features(config, "pure")


def test_unknown_preset_lists_the_choices():
    with pytest.raises(ValueError, match="default, reference"):
        features.preset("best")


def test_config_hash_changes_with_any_setting():
    base = features.preset("default")
    h = features.config_hash(base)
    assert h == features.config_hash(dict(base)) and len(h) == 16
    for key, value in (("n_mels", 21), ("window_fn", "rect"), ("trigger_level", 0.5)):
        other = dict(base)
        other[key] = value
        assert features.config_hash(other) != h


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["default", "reference"]),
       st.lists(st.floats(-1.0, 1.0), min_size=256, max_size=256))
def test_any_full_scale_window_gives_finite_features(name, window):
    f = features.Features(features.preset(name), "pure").extract(window)
    assert all(math.isfinite(v) for v in f)
