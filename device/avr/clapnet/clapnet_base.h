// What model.h and the clapnet library need on both the AVR and a host
// compiler: fixed-width integers, tables in flash (PROGMEM), activation names.
#ifndef CLAPNET_BASE_H
#define CLAPNET_BASE_H

#include <stdint.h>
#include <math.h>

#ifdef __AVR__
#include <avr/pgmspace.h>
#else
// On the host (tests, benchmarks) tables are ordinary constant arrays.
#define PROGMEM
#endif

namespace clapnet {

// Tables live in flash on the AVR and must be read with the pgm_read_* calls;
// these overloads pick the right one from the table's type.
inline float flash(const float *p) {
#ifdef __AVR__
    return pgm_read_float(p);
#else
    return *p;
#endif
}

inline uint8_t flash(const uint8_t *p) {
#ifdef __AVR__
    return pgm_read_byte(p);
#else
    return *p;
#endif
}

inline uint16_t flash(const uint16_t *p) {
#ifdef __AVR__
    return pgm_read_word(p);
#else
    return *p;
#endif
}

inline uint32_t flash(const uint32_t *p) {
#ifdef __AVR__
    return pgm_read_dword(p);
#else
    return *p;
#endif
}

}  // namespace clapnet

// Activation of a layer, as named in the model file (shared/activations.py).
enum {
    ACT_SIGMOID,
    ACT_RELU,
    ACT_TANH,
    ACT_FAST_TANH,
    ACT_LINEAR
};

#endif
