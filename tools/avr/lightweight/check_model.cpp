// Runs a `clapnet export-header --format lightweight` header on the minimal
// template: feature vectors (float32, model inputs each) on stdin; on stdout,
// one line each, the softmax of the outputs as float bits in hex, then 1 or 0:
// output 0 (p(clap)) >= clapThreshold.
//
//   g++ -std=gnu++11 -I tools/avr/lightweight -I DIR_WITH_model_lightweight.h check_model.cpp
#include <stdio.h>
#include <string.h>
#include <stdint.h>

#include "neuralNetwork.hpp"
#include "model_lightweight.h"

int main() {
    const size_t inputs = neuralNetwork_t::inputs;
    const size_t outputs = neuralNetwork_t::outputCount;
    float features[inputs], output[outputs];
    while (fread(features, sizeof(float), inputs, stdin) == inputs) {
        n.n.forwardPass(features, output);
        float largest = output[0], sum = 0.0f;
        for (size_t j = 1; j < outputs; j++) if (output[j] > largest) largest = output[j];
        for (size_t j = 0; j < outputs; j++) sum += output[j] = expf(output[j] - largest);
        for (size_t j = 0; j < outputs; j++) {
            float p = output[j] / sum;
            uint32_t bits;
            memcpy(&bits, &p, 4);
            printf("%08x ", (unsigned)bits);
        }
        printf("%d\n", output[0] / sum >= clapThreshold);
    }
    return 0;
}
