// A minimal stand-in for the reference design's LightweightNeuralNetwork.hpp,
// with the same memory layout and activation constants: each layer holds
// weight[neurons][inputs] then bias[neurons], then the next layer. Only the
// forward pass, no STL, so tests can check `clapnet export-header --format
// lightweight` output without the reference library.
#ifndef CLAPNET_LIGHTWEIGHT_TEMPLATE_HPP
#define CLAPNET_LIGHTWEIGHT_TEMPLATE_HPP

#include <stddef.h>
#include <math.h>

static constexpr size_t Sigmoid = 0;
static constexpr size_t FastSigmoid = 1;
static constexpr size_t ReLU = 2;
static constexpr size_t Tanh = 5;
static constexpr size_t FastTanh = 6;

template <size_t activation>
float af(float x) {
    if (activation == Sigmoid) return 1.0f / (1.0f + expf(-x));
    if (activation == FastSigmoid) return 0.5f * (x / (1.0f + fabsf(x)) + 1.0f);
    if (activation == ReLU) return x <= 0.0f ? 0.0f : x;
    if (activation == Tanh) return tanhf(x);
    if (activation == FastTanh) {
        if (x < -3) return -1;
        if (x > 3) return 1;
        float x2 = x * x;
        return x * (27 + x2) / (27 + 9 * x2);
    }
    return 0.0f;
}

template <size_t... sizes>
class neuralNetworkLayer_t;

// a hidden layer, followed by the rest of the network
template <size_t inputCount, size_t activation, size_t neuronCount, size_t... sizes>
class neuralNetworkLayer_t<inputCount, activation, neuronCount, sizes...> {
    float weight[neuronCount][inputCount];
    float bias[neuronCount];
    neuralNetworkLayer_t<neuronCount, sizes...> nextLayer;

public:
    static constexpr size_t inputs = inputCount;
    static constexpr size_t outputCount = neuralNetworkLayer_t<neuronCount, sizes...>::outputCount;

    void forwardPass(const float *input, float *output) const {
        float neuron[neuronCount];
        for (size_t n = 0; n < neuronCount; n++) {
            neuron[n] = bias[n];
            for (size_t i = 0; i < inputCount; i++) neuron[n] += weight[n][i] * input[i];
            neuron[n] = af<activation>(neuron[n]);
        }
        nextLayer.forwardPass(neuron, output);
    }
};

// the output layer
template <size_t inputCount, size_t activation, size_t neuronCount>
class neuralNetworkLayer_t<inputCount, activation, neuronCount> {
    float weight[neuronCount][inputCount];
    float bias[neuronCount];

public:
    static constexpr size_t inputs = inputCount;
    static constexpr size_t outputCount = neuronCount;

    void forwardPass(const float *input, float *output) const {
        for (size_t n = 0; n < neuronCount; n++) {
            output[n] = bias[n];
            for (size_t i = 0; i < inputCount; i++) output[n] += weight[n][i] * input[i];
            output[n] = af<activation>(output[n]);
        }
    }
};

#endif
