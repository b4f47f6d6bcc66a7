// The trigger of shared/trigger.py, one sample at a time, for an interrupt.
//
//   - a sample with |x| >= trigger level arms a window that starts `pretrigger`
//     samples before it and is `window` samples long;
//   - if any sample of that window reaches the overload level it is rejected;
//   - either way nothing triggers again until `refractory` samples after the
//     window's end.
// Instead of stream indices (which Python keeps) it counts down, and the
// overload test runs in the main loop over the finished window (clipped()),
// so push() stays short: it runs 35,700 times a second.
//
// A finished window stays in the ring until the main loop has read it
// (release()). Meanwhile samples are counted but not stored, and a window
// that would start then is dropped and counted in `missed`: that only
// happens when the main loop is slower than the refractory time.
#ifndef CLAPNET_TRIGGER_H
#define CLAPNET_TRIGGER_H

namespace clapnet {

class Trigger {
public:
    static const uint16_t n = model::window;
    static const uint16_t mask = model::window - 1;  // window is a power of two

    int16_t ring[model::window];  // last n samples, oldest at *next
    int16_t *volatile next;  // where the next sample goes
    volatile uint8_t ready;  // a finished window waits in the ring
    volatile uint16_t missed;  // windows dropped because the ring was still held

    // full_scale: the sample value of 1.0 (512 for the 10-bit ADC centred on 0)
    explicit Trigger(float full_scale) {
        level = (int16_t)ceilf(model::trigger_level * full_scale);
        overload = (int16_t)ceilf(model::overload_level * full_scale);
        for (uint16_t i = 0; i < n; i++) ring[i] = 0;
        next = ring;
        ready = 0;
        missed = 0;
        count_low = 0;
        count_high = 0;
        quiet = model::pretrigger;
        remaining = 0;
        fresh = n;
        dropping = false;
    }

    // Take one sample; returns true when a window has ended (then `ready`).
    // 16-bit counters and a pointer keep the interrupt short (fewer registers
    // to save, no 32-bit arithmetic per sample).
    bool push(int16_t v) {
        if (!ready) {
            int16_t *p = next;
            *p++ = v;
            next = p == ring + n ? ring : p;
            if (model::pretrigger && fresh < n) fresh++;
        }
        if (++count_low == 0) count_high++;
        if (remaining == 0) {
            if (quiet > 0) {
                quiet--;
                return false;
            }
            if (v < level && v > -level) return false;
            remaining = n - model::pretrigger;
            // the window needs `pretrigger` stored samples before this one
            dropping = ready || (model::pretrigger && fresh <= model::pretrigger);
        }
        if (--remaining > 0) return false;

        quiet = model::refractory + model::pretrigger;
        if (dropping) {
            missed++;
            return false;
        }
        end_low = count_low;
        end_high = count_high;
        ready = 1;
        return true;
    }

    // Stream index of the finished window's first sample; only while `ready`.
    uint32_t start() const { return (((uint32_t)end_high << 16) | end_low) - n; }

    // The finished window's sample i (0 = oldest); only while `ready`.
    int16_t sample(uint16_t i) const {
        uint16_t oldest = next - ring;
        return ring[(oldest + i) & mask];
    }

    // Whether a sample of the finished window reaches the overload level:
    // then the window is rejected (release() it without classifying).
    bool clipped() const {
        for (uint16_t i = 0; i < n; i++)
            if (ring[i] >= overload || ring[i] <= -overload) return true;
        return false;
    }

    // The main loop has read the window: store samples again.
    void release() {
        fresh = 0;
        ready = 0;
    }

private:
    int16_t level;  // |sample| >= level triggers
    int16_t overload;  // |sample| >= overload rejects the window
    uint16_t count_low, count_high;  // samples seen so far
    volatile uint16_t end_low, end_high;  // the count when the window ended
    // samples that may not trigger yet (model.h keeps refractory + pretrigger
    // below 65536: 1.8 s at 35.75 kHz)
    uint16_t quiet;
    uint16_t remaining;  // samples until the open window ends (0: none open)
    volatile uint16_t fresh;  // samples stored since release() (saturates at n)
    bool dropping;  // the open window cannot be stored
};

}  // namespace clapnet

#endif
