"""Presets that show layer health (train/health.py): vanishing and exploding gradients."""

from __future__ import annotations

from _gen.builder import Builder, classification, regression

from netbuilder.core.graph import Graph

DEPTH = 12  # hidden layers: deep enough that sigmoid's ≤ 0.25 derivative compounds to nothing
WIDTH = 32
LONG = 100  # time steps of the sine windows the RNN reads


def _deep_mlp(title: str, description: str, block) -> Graph:
    b = Builder(title, description, classification("digits", lr=0.003, epochs=10, batch_size=32))
    layers: list[tuple] = [("flatten", "Flatten")]
    for i in range(1, DEPTH + 1):
        layers += block(i)
    layers.append(("fc_out", "Linear", {"out_features": 10}))
    b.output(b.chain(b.input([1, 8, 8]), layers))
    return b.finish()


def deep_sigmoid_mlp() -> Graph:
    return _deep_mlp(
        "Deep sigmoid MLP (vanishing gradients)",
        f"{DEPTH} hidden Linear + Sigmoid layers on the 8×8 digits. Backpropagation multiplies by the sigmoid's "
        "derivative (at most 0.25) once per layer, so the first layers' gradients are orders of magnitude "
        "smaller than the last ones': they barely learn and the loss hardly moves. Train it with View ▸ Health "
        "on and watch the vanishing_gradient diagnostic on fc1; then train deep_relu_bn_mlp, the same net "
        "with ReLU and BatchNorm.",
        lambda i: [(f"fc{i}", "Linear", {"out_features": WIDTH}), (f"sigmoid{i}", "Sigmoid")])


def deep_relu_bn_mlp() -> Graph:
    return _deep_mlp(
        "Deep ReLU + BatchNorm MLP (healthy gradients)",
        f"The deep sigmoid MLP's twin: the same {DEPTH} hidden Linear layers, each followed by BatchNorm and "
        "ReLU. ReLU's derivative is 1 where it is active and BatchNorm keeps every layer's inputs at zero mean "
        "and unit variance, so gradients reach the first layers at a similar size and the network trains. "
        "Compare the Layers tab's gradient norms with the sigmoid version.",
        lambda i: [(f"fc{i}", "Linear", {"out_features": WIDTH}), (f"bn{i}", "BatchNorm1d"),
                   (f"relu{i}", "ReLU")])


def _long_rnn(title: str, description: str, **extra) -> Graph:
    b = Builder(title, description, regression("sine", lr=0.3, epochs=10, batch_size=32, optimizer="sgd",
                                               dataset_options={"window": LONG, "n_samples": 600}, **extra))
    x = b.chain(b.input([LONG, 1]), [("rnn", "RNN", {"hidden_size": 64, "nonlinearity": "relu"}),
                                     ("fc", "Linear", {"out_features": 1})])
    b.output(x)
    return b.finish()


def rnn_exploding() -> Graph:
    return _long_rnn(
        "RNN on long sequences (exploding gradients)",
        f"A plain ReLU RNN reads windows of {LONG} steps of a sine wave and predicts the next value, with no "
        "gradient clipping. Backpropagation through time multiplies by the recurrent weights once per step: "
        "once they stretch the hidden state, the gradient grows exponentially with the sequence length, the "
        "exploding_gradient diagnostic fires and the loss turns non-finite. rnn_clipped is the same net "
        "with gradient clipping.")


def rnn_clipped() -> Graph:
    return _long_rnn(
        "RNN on long sequences, gradients clipped",
        f"The exploding RNN with gradient clipping (norm 1): each step's gradient is rescaled to at most norm "
        f"1 before the update, so one huge gradient cannot throw the weights away and the RNN trains on "
        f"{LONG}-step sequences. (An LSTM or GRU is the other cure.)",
        grad_clip=1.0)
