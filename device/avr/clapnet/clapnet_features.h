// Features of one window, as shared/features.py computes them:
//
//   samples -> [zero crossings, energy-decay slope, MFCCs...,
//               sub-frame energies..., spectral centroid, flatness]
//
// The configuration and every table (window function, mel filters, DCT, FFT
// twiddles) come from model.h, generated from the model file, so this code
// only follows the recipe. One float buffer of `window` values holds the
// samples, then the spectrum, then the magnitudes: no other large arrays.
#ifndef CLAPNET_FEATURES_H
#define CLAPNET_FEATURES_H

// A benchmark may define CLAPNET_MARK(stage) to time the stages of extract().
#ifndef CLAPNET_MARK
#define CLAPNET_MARK(stage)
#endif

namespace clapnet {

class Features {
public:
    static const uint16_t n = model::window;
    static const uint16_t half = model::window / 2;  // complex FFT length

    float x[model::window];

    // Load the window: sample i is source.sample(i) (an integer, e.g. a centred
    // ADC count) and sample * scale lies in [-1, 1]. The buffer keeps samples in
    // their own unit (x * unit is what shared/features.py sees) so no multiply
    // per sample is needed; every scale-dependent constant takes the unit
    // instead. The mean is removed exactly, in integers: n * sample - sum,
    // in units of scale / n.
    template <class Source>
    void load(const Source &source, float scale) {
        int32_t sum = 0;
        for (uint16_t i = 0; i < n; i++) sum += source.sample(i);
        if (model::remove_dc) {
            for (uint16_t i = 0; i < n; i++) x[i] = (float)((int32_t)source.sample(i) * n - sum);
            unit = scale / n;
        } else {
            for (uint16_t i = 0; i < n; i++) x[i] = source.sample(i);
            unit = scale;
        }
    }

    // Fills out[model::feature_count]; destroys the loaded samples.
    void extract(float *out) {
        out[0] = zero_crossings() * model::zcr_scale;
        CLAPNET_MARK(0);
        // log10(floor + (unit x)^2) = log10(unit^2) + log10(floor / unit^2 + x^2):
        // the constant does not change a slope, and shifts sub-frame energies
        const float floor = model::energy_floor / (unit * unit);
        out[1] = model::decay_offset + model::decay_scale * energy_slope(floor);
        CLAPNET_MARK(1);
        if (model::subframes)
            subframe_energies(out + 2 + model::n_mfcc, floor, fast_log10(unit * unit));
        if (model::has_window_fn)
            for (uint16_t i = 0; i < n; i++) x[i] *= flash(&model::window_fn[i]);
        CLAPNET_MARK(2);
        real_fft();
        CLAPNET_MARK(3);
        twice_magnitudes();
        CLAPNET_MARK(4);
        // |X| in [-1, 1] units = unit * twice_magnitude / 2
        const float spectrum_scale = model::spectrum_scale * unit * 0.5f;
        mfccs(out + 2, spectrum_scale);
        CLAPNET_MARK(5);
        uint8_t pos = 2 + model::n_mfcc + model::subframes;
        if (model::centroid) out[pos++] = spectral_centroid();
        if (model::flatness) out[pos++] = spectral_flatness(spectrum_scale);
        CLAPNET_MARK(6);
    }

    // 2 |X[k]| for k = 0..n/2 in the loaded samples' unit, valid after
    // extract() for the bins model::spectrum_first..spectrum_last. Twice,
    // because that saves four multiplications per bin pair; it stays where
    // the FFT left bin k (x[2k]); bin n/2 sits in x[1].
    float twice_magnitude(uint16_t k) const { return k < half ? x[2 * k] : x[1]; }

private:
    float unit;  // x * unit = the sample in [-1, 1] units (after load())

    // sign changes, with 0 counted as positive
    uint16_t zero_crossings() const {
        uint16_t crossings = 0;
        bool negative = x[0] < 0.0f;
        for (uint16_t i = 1; i < n; i++) {
            bool now = x[i] < 0.0f;
            if (now != negative) crossings++;
            negative = now;
        }
        return crossings;
    }

    // log2(v) in 1/65536 units for a positive normal float v: the exponent
    // plus a table of log2 over the mantissa, interpolated linearly between
    // its 257 points (error < 2e-5, against a budget of 1e-4 on the features).
    // Several times faster than log10f() on the AVR.
    static int32_t log2_q16(float v) {
        // the float's bytes, least significant first (AVR and x86 alike):
        // sign and exponent in the top 9 bits, then 23 bits of mantissa;
        // byte moves instead of long shifts, which the AVR does bit by bit
        union { float f; uint8_t b[4]; } u;
        u.f = v;
        int16_t exponent = (int16_t)((u.b[3] << 1) | (u.b[2] >> 7)) - 127;
        uint8_t j = (uint8_t)((u.b[2] << 1) | (u.b[1] >> 7));  // mantissa bits 22..15
        uint16_t fraction = (uint16_t)(((u.b[1] << 8) | u.b[0]) << 1);  // bits 14..0, x2
        uint32_t low = flash(&model::log2_table[j]);
        uint16_t rise = (uint16_t)(flash(&model::log2_table[j + 1]) - low);
        low += (uint16_t)(((uint32_t)rise * fraction) >> 16);
        return (int32_t)((uint32_t)(int32_t)exponent << 16) + (int32_t)low;
    }

    static float fast_log10(float v) { return log2_q16(v) * (0.30102999566f / 65536.0f); }

    // least-squares slope of log10(floor + x^2) against i = 0..n-1;
    // clap energy falls fast after the burst.
    // With L[i] = log2(floor + x[i]^2) in integers, the running sums
    // p = sum of L[i] and q = sum over k = 1..n of (L[0] + ... + L[k-1]) give
    // sum of (i - (n-1)/2) L[i] = ((n+1) p - 2 q) / 2 without a multiply per sample.
    float energy_slope(float floor) const {
        const float i_var = n * ((float)n * n - 1.0f) / 12.0f;
        int64_t p = 0, q = 0;
        for (uint16_t i = 0; i < n; i++) {
            p += log2_q16(floor + x[i] * x[i]);
            q += p;
        }
        float sum = (float)((int64_t)(n + 1) * p - 2 * q);
        return sum * (0.5f * 0.30102999566f / 65536.0f) / i_var;
    }

    // taken before windowing so the burst's edges count;
    // log10(floor_unit + e / size) + log10_unit2 = log10(energy_floor + mean of (unit x)^2)
    void subframe_energies(float *out, float floor_unit, float log10_unit2) const {
        // (the 1 only keeps the compiler quiet when subframes is 0 and this is unused)
        const uint16_t size = n / (model::subframes ? model::subframes : 1);
        for (uint8_t p = 0; p < model::subframes; p++) {
            float e = 0.0f;
            for (uint16_t i = p * size; i < (p + 1) * size; i++) e += x[i] * x[i];
            out[p] = fast_log10(floor_unit + e / size) + log10_unit2;
        }
    }

    // The n real samples, read as n/2 complex values z[m] = x[2m] + i x[2m+1],
    // go through an n/2-point complex FFT in place (radix 2, decimation in time).
    void real_fft() {
        // bit-reversed order
        for (uint16_t i = 1, j = 0; i < half; i++) {
            uint16_t bit = half >> 1;
            for (; j & bit; bit >>= 1) j ^= bit;
            j |= bit;
            if (i < j) {
                float t = x[2 * i]; x[2 * i] = x[2 * j]; x[2 * j] = t;
                t = x[2 * i + 1]; x[2 * i + 1] = x[2 * j + 1]; x[2 * j + 1] = t;
            }
        }
        float *end = x + n;
        for (uint16_t size = 2; size <= half; size <<= 1) {
            uint16_t span = size >> 1;
            // twiddle exp(-2 pi i j / size) = table entry j * (n / size)
            uint16_t step = n / size;
            for (uint16_t j = 0; j < span; j++) {
                // the twiddles 1 and -i need no multiplication
                bool one = j == 0, minus_i = 4 * j == size;
                float wr = flash(&model::twiddle_cos[j * step]);
                float wi = -flash(&model::twiddle_sin[j * step]);
                // a: complex value j of each block of `size`; b: span further
                for (float *a = x + 2 * j; a < end; a += 2 * size) {
                    float *b = a + 2 * span;
                    float tr, ti;
                    if (one) {
                        tr = b[0];
                        ti = b[1];
                    } else if (minus_i) {
                        tr = b[1];
                        ti = -b[0];
                    } else {
                        tr = wr * b[0] - wi * b[1];
                        ti = wr * b[1] + wi * b[0];
                    }
                    b[0] = a[0] - tr;
                    b[1] = a[1] - ti;
                    a[0] += tr;
                    a[1] += ti;
                }
            }
        }
    }

    // From Z = FFT(z) to |X[k]| of the real signal: with E[k] the spectrum of
    // the even samples and O[k] that of the odd ones (h = n/2),
    //   2 E[k] = Z[k] + conj Z[h-k],  2 O[k] = (Z[k] - conj Z[h-k]) / i,
    //   X[k] = E[k] + W^k O[k],  |X[h-k]| = |E[k] - W^k O[k]|.
    // Each pair k, h-k is read and overwritten with its two (doubled) magnitudes.
    void twice_magnitudes() {
        const uint16_t first = model::spectrum_first, last = model::spectrum_last;
        float dc = x[0] + x[1], nyquist = x[0] - x[1];
        x[0] = fabsf(dc + dc);
        x[1] = fabsf(nyquist + nyquist);
        for (uint16_t k = 1; k < half / 2; k++) {
            uint16_t m = half - k;
            bool need_k = k >= first && k <= last, need_m = m >= first && m <= last;
            if (!need_k && !need_m) continue;
            float *zk = x + 2 * k, *zm = x + 2 * m;
            float er = zk[0] + zm[0], ei = zk[1] - zm[1];  // 2 E[k]
            float or_ = zk[1] + zm[1], oi = zm[0] - zk[0];  // 2 O[k]
            float wr = flash(&model::twiddle_cos[k]), wi = -flash(&model::twiddle_sin[k]);
            float tr = wr * or_ - wi * oi, ti = wr * oi + wi * or_;
            if (need_k) zk[0] = sqrtf((er + tr) * (er + tr) + (ei + ti) * (ei + ti));
            if (need_m) zm[0] = sqrtf((er - tr) * (er - tr) + (ei - ti) * (ei - ti));
        }
        float *zq = x + half;  // bin n/4: X = conj Z
        zq[0] = 2.0f * sqrtf(zq[0] * zq[0] + zq[1] * zq[1]);
    }

    // magnitudes -> mel bands -> log10 -> DCT
    void mfccs(float *out, float spectrum_scale) const {
        float log_mel[model::n_mels];
        const float *weight = model::mel_weights;
        for (uint8_t f = 0; f < model::n_mels; f++) {
            uint16_t first = flash(&model::mel_first[f]);
            uint16_t length = flash(&model::mel_length[f]);
            float e = 0.0f;
            for (uint16_t j = 0; j < length; j++) e += flash(weight++) * twice_magnitude(first + j);
            e *= spectrum_scale;
            log_mel[f] = fast_log10(e > model::log_floor ? e : model::log_floor);
        }
        for (uint8_t k = 0; k < model::n_mfcc; k++) {
            float acc = 0.0f;
            for (uint8_t f = 0; f < model::n_mels; f++) acc += flash(&model::dct[k][f]) * log_mel[f];
            out[k] = acc;
        }
        out[0] *= model::mfcc0_scale;
    }

    // centre of mass of the magnitude spectrum, 0..1
    float spectral_centroid() const {
        float weighted = 0.0f, total = 0.0f;
        for (uint16_t k = 0; k <= half; k++) {
            weighted += k * twice_magnitude(k);
            total += twice_magnitude(k);
        }
        return total > 0.0f ? weighted / total / half : 0.0f;
    }

    // log10 of geometric mean / arithmetic mean of the power spectrum
    float spectral_flatness(float spectrum_scale) const {
        const float s2 = spectrum_scale * spectrum_scale;
        const float tiny = model::log_floor * model::log_floor;
        int64_t logs = 0;  // log2 in 1/65536 units
        float power = 0.0f;
        for (uint16_t k = 0; k <= half; k++) {
            float p = twice_magnitude(k) * twice_magnitude(k) * s2 + tiny;
            logs += log2_q16(p);
            power += p;
        }
        return (float)logs * (0.30102999566f / 65536.0f) / (half + 1) - fast_log10(power / (half + 1));
    }
};

}  // namespace clapnet

#endif
