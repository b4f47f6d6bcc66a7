// The forward pass of shared/network.py with the weights of model.h:
//   a = (features - mean) / std
//   per layer: z = weights . a + biases, a = activation(z)
//   probabilities = softmax(a)
#ifndef CLAPNET_NETWORK_H
#define CLAPNET_NETWORK_H

namespace clapnet {

inline float activate(uint8_t activation, float z) {
    switch (activation) {
    case ACT_SIGMOID:
        // two branches so exp() never overflows for large |z|
        if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
        else {
            float e = expf(z);
            return e / (1.0f + e);
        }
    case ACT_RELU:
        return z > 0.0f ? z : 0.0f;
    case ACT_TANH:
        return tanhf(z);
    case ACT_FAST_TANH:
        // x(27+x^2)/(27+9x^2), clamped where it reaches +-1 with zero slope
        if (z >= 3.0f) return 1.0f;
        if (z <= -3.0f) return -1.0f;
        return z * (27.0f + z * z) / (27.0f + 9.0f * z * z);
    default:  // ACT_LINEAR
        return z;
    }
}

// Class probabilities (model::label_count of them) for one feature vector;
// returns p(clap).
inline float forward(const float *features, float *probabilities) {
    float a[model::max_width], next[model::max_width];
    for (uint8_t i = 0; i < model::feature_count; i++)
        a[i] = (features[i] - flash(&model::norm_mean[i])) / flash(&model::norm_std[i]);
    const float *w = model::weights;
    const float *b = model::biases;
    for (uint8_t layer = 0; layer < model::layer_count; layer++) {
        uint8_t inputs = model::layer_size[layer], neurons = model::layer_size[layer + 1];
        for (uint8_t j = 0; j < neurons; j++) {
            float z = flash(b++);
            for (uint8_t i = 0; i < inputs; i++) z += flash(w++) * a[i];
            next[j] = activate(model::layer_activation[layer], z);
        }
        for (uint8_t j = 0; j < neurons; j++) a[j] = next[j];
    }
    // softmax; subtracting the largest keeps expf() in range
    float largest = a[0];
    for (uint8_t j = 1; j < model::label_count; j++)
        if (a[j] > largest) largest = a[j];
    float sum = 0.0f;
    for (uint8_t j = 0; j < model::label_count; j++) {
        probabilities[j] = expf(a[j] - largest);
        sum += probabilities[j];
    }
    for (uint8_t j = 0; j < model::label_count; j++) probabilities[j] /= sum;
    return probabilities[model::clap_index];
}

inline bool is_clap(float p) { return p >= model::threshold; }

}  // namespace clapnet

#endif
