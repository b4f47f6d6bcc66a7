# Activation functions and their derivatives, one float at a time.
# Pure Python so the board and the host compute the same thing; the numpy
# trainer has vectorised twins (clapnet.nn) that the tests hold equal to these.
import math


def sigmoid(x):
    # Two branches so exp() never overflows for large |x|.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def relu(x):
    return x if x > 0.0 else 0.0


def relu_derivative(x):
    return 1.0 if x > 0.0 else 0.0


def tanh(x):
    return math.tanh(x)


def tanh_derivative(x):
    t = math.tanh(x)
    return 1.0 - t * t


def fast_tanh(x):
    # Rational approximation x(27+x^2)/(27+9x^2): exact slope 1 at 0, reaches
    # +-1 with zero slope at |x| = 3, so clamping outside is continuous.
    if x >= 3.0:
        return 1.0
    if x <= -3.0:
        return -1.0
    x2 = x * x
    return x * (27.0 + x2) / (27.0 + 9.0 * x2)


def fast_tanh_derivative(x):
    # d/dx x(27+x^2)/(27+9x^2) = (x^2-9)^2 / (9 (3+x^2)^2)
    if x >= 3.0 or x <= -3.0:
        return 0.0
    x2 = x * x
    a = x2 - 9.0
    b = 3.0 + x2
    return a * a / (9.0 * b * b)


def linear(x):
    return x


def linear_derivative(x):
    return 1.0


# name -> (function, derivative); model files name activations with these keys.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "relu": (relu, relu_derivative),
    "tanh": (tanh, tanh_derivative),
    "fast_tanh": (fast_tanh, fast_tanh_derivative),
    "linear": (linear, linear_derivative),
}


def softmax(z):
    # Subtracting the max keeps exp() in range; the result is unchanged.
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]
