// The AVR library (device/avr/clapnet) compiled for the host: reads a stream
// of samples (little-endian int16, centred ADC counts) from stdin and prints
// what the sketch prints with CLAPNET_VERBOSE=1, so tests can compare the C++
// features and probabilities with shared/ on many recordings quickly.
//
//   g++ -I SKETCH_DIR tools/avr/host_detect.cpp -o host_detect
//   host_detect FULL_SCALE DOUBLE_CLAP_GAP_SAMPLES < samples.bin
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clapnet.h"

static void print_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    printf(" %08x", (unsigned)bits);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: host_detect FULL_SCALE DOUBLE_CLAP_GAP_SAMPLES < samples.bin\n");
        return 2;
    }
    float full_scale = (float)atof(argv[1]);
    static clapnet::Trigger trigger(full_scale);
    static clapnet::Features features;
    clapnet::Toggle toggle((uint32_t)atol(argv[2]));
    float values[model::feature_count];
    float probabilities[model::label_count];
    bool led_on = false;
    int16_t v;
    while (fread(&v, 2, 1, stdin) == 1) {
        if (!trigger.push(v)) continue;
        uint32_t start = trigger.start();
        if (trigger.clipped()) {
            trigger.release();
            printf("overload start=%lu\n", (unsigned long)start);
        } else {
            features.load(trigger, 1.0f / full_scale);
            trigger.release();
            features.extract(values);
            float p = clapnet::forward(values, probabilities);
            bool clap = clapnet::is_clap(p);
            bool flip = toggle.decide(start, clap);
            if (flip) led_on = !led_on;
            printf("F %lu", (unsigned long)start);
            for (int i = 0; i < model::feature_count; i++) print_bits(values[i]);
            for (int i = 0; i < model::label_count; i++) print_bits(probabilities[i]);
            printf("\n%s p=%.3f start=%lu%s\n", clap ? "clap" : "other", p,
                   (unsigned long)start, flip ? (led_on ? " led=on" : " led=off") : "");
        }
    }
    return 0;
}
