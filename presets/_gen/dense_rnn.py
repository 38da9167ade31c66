"""Dense and recurrent presets: perceptron, MLPs, RNN/LSTM/GRU, sequence shapes."""

from __future__ import annotations

from _gen.builder import Builder, classification, regression

from netbuilder.core.graph import Graph

SEQ = [8, 8]  # digits as sequences: 8 time steps (rows) of 8 features (pixels)


def perceptron() -> Graph:
    b = Builder(
        "Perceptron (step activation)",
        "Rosenblatt's perceptron: one neuron computes a weighted sum of the 4 iris measurements (in cm) plus a "
        "bias, then a Heaviside step outputs 1 or 0. The task — setosa (1) or not (0) — is linearly separable, "
        "so a single neuron can solve it, and it does within a few epochs. The step has no useful derivative; "
        "the Step node passes gradients straight through, which turns the squared-error update into the "
        "perceptron learning rule w ← w + η (y − ŷ) x. Trained with plain SGD; the loss is the fraction of "
        "misclassified flowers and stops changing once every training flower is right.",
        {"dataset": "iris", "dataset_options": {"binary": "setosa"}, "task": "classification",
         "loss": [{"type": "mse", "output": "output", "weight": 1.0}],
         "optimizer": "sgd", "lr": 0.05, "momentum": 0.0, "batch_size": 16, "epochs": 10, "seed": 2},
    )
    x = b.input([4])
    x = b.chain(x, [("neuron", "Linear", {"out_features": 1}), ("step", "Step")])
    b.output(x)
    return b.finish()


def mlp_iris() -> Graph:
    b = Builder(
        "MLP on iris",
        "A multilayer perceptron for the 3 iris species: 4 inputs → 16 hidden ReLU neurons → 3 outputs. "
        "The first weight matrix is 4×16 (rows = source neurons, columns = target neurons) plus 16 biases. "
        "Cross-entropy applies the softmax to the 3 output scores; inputs are standardised. One hidden layer "
        "is enough because the classes are almost linearly separable.",
        classification("iris", lr=0.01, epochs=30, batch_size=16, standardize=True),
    )
    x = b.input([4])
    x = b.chain(x, [("fc1", "Linear", {"out_features": 16}), ("relu1", "ReLU"),
                    ("fc2", "Linear", {"out_features": 3})])
    b.output(x)
    return b.finish()


def mlp_digits() -> Graph:
    b = Builder(
        "MLP on digits",
        "A fully connected network for the 8×8 digits: Flatten turns each 1×8×8 image into 64 inputs, then "
        "two hidden ReLU layers (64 and 32 neurons) with dropout against overfitting, and 10 outputs (one "
        "score per digit, softmax inside the cross-entropy loss). Watch the gap between training and "
        "validation loss; compare with the CNN presets, which know that pixels have neighbours.",
        classification("digits", lr=0.003, epochs=20, batch_size=32),
    )
    x = b.input([1, 8, 8])
    x = b.chain(x, [("flatten", "Flatten"), ("fc1", "Linear", {"out_features": 64}), ("relu1", "ReLU"),
                    ("dropout1", "Dropout", {"p": 0.2}), ("fc2", "Linear", {"out_features": 32}),
                    ("relu2", "ReLU"), ("fc3", "Linear", {"out_features": 10})])
    b.output(x)
    return b.finish()


def _seq_classifier(name: str, title: str, description: str, layers: list[tuple], lr: float = 0.003,
                    epochs: int = 15, **extra) -> Graph:
    b = Builder(title, description, classification("digits", lr=lr, epochs=epochs, batch_size=32, **extra))
    x = b.input(SEQ)
    b.output(b.chain(x, [*layers, ("fc", "Linear", {"out_features": 10})]))
    return b.finish()


def rnn_digits() -> Graph:
    return _seq_classifier(
        "rnn_digits", "Simple RNN on digits (many-to-one)",
        "A simple recurrent network reads each digit as a sequence of 8 rows of 8 pixels: at every step "
        "hᵗ = tanh(W xᵗ + U hᵗ⁻¹ + b). Only the final hidden state (return_sequences off) feeds the "
        "10-way classifier — a many-to-one problem, like classifying a sentence's sentiment. Gradients are "
        "clipped (norm 1) against the exploding gradients plain RNNs suffer from.",
        [("rnn", "RNN", {"hidden_size": 64})], grad_clip=1.0)


def lstm_digits() -> Graph:
    return _seq_classifier(
        "lstm_digits", "LSTM on digits (many-to-one)",
        "The same many-to-one sequence classifier with an LSTM: 4 gates (input, forget, cell candidate and "
        "output) control a memory cell, so information and gradients survive across time steps (the cure "
        "for vanishing gradients). 4 gates × (8 + 64 + 2) × 64 = 18,944 weights: 8 inputs, 64 hidden, and 2 "
        "bias vectors (PyTorch keeps b_ih and b_hh). Reads 8 rows of 8 pixels, classifies from the last "
        "hidden state.",
        [("lstm", "LSTM", {"hidden_size": 64})])


def gru_digits() -> Graph:
    return _seq_classifier(
        "gru_digits", "GRU on digits (many-to-one)",
        "A gated recurrent unit: reset and update gates and a candidate state, no separate memory cell — 3 "
        "gates instead of the LSTM's 4: 3 gates × (8 + 64 + 2) × 64 = 14,208 weights, a quarter fewer for "
        "similar accuracy. Compare its parameter count and curves with the LSTM preset.",
        [("gru", "GRU", {"hidden_size": 64})])


def rnn_stacked_digits() -> Graph:
    return _seq_classifier(
        "rnn_stacked_digits", "Stacked (deep) LSTM on digits",
        "A deep RNN: two LSTM layers stacked, the first returning its whole output sequence (8 steps × 64, "
        "return_sequences on) as the input sequence of the second, which returns only its last state. "
        "Dropout between the layers regularises. Setting num_layers = 2 on one LSTM node builds the same "
        "stack inside one layer.",
        [("lstm1", "LSTM", {"hidden_size": 64, "return_sequences": True}), ("dropout", "Dropout", {"p": 0.2}),
         ("lstm2", "LSTM", {"hidden_size": 64})])


def rnn_bidirectional_digits() -> Graph:
    return _seq_classifier(
        "rnn_bidirectional_digits", "Bidirectional GRU on digits",
        "A bidirectional GRU reads the rows top-to-bottom and bottom-to-top; the final states of both "
        "directions are concatenated (2 × 32 = 64 features) before the classifier, so the decision sees the "
        "whole sequence from both ends.",
        [("gru", "GRU", {"hidden_size": 32, "bidirectional": True})])


def rnn_many_to_many() -> Graph:
    b = Builder(
        "Many-to-many RNN (sine sequence to sequence)",
        "A many-to-many recurrent network: an LSTM with return_sequences on emits a hidden state at every "
        "time step, and a Linear layer applied to each step turns it into one output per step — the "
        "sequence of next values of a noisy sine wave. Output shape = input shape (steps × 1): one "
        "prediction for every input step, unlike the many-to-one classifiers.",
        regression("sine", loss="mse", lr=0.01, epochs=15, batch_size=32, dataset_options={"many_to_many": True}),
    )
    x = b.input([16, 1])
    x = b.chain(x, [("lstm", "LSTM", {"hidden_size": 32, "return_sequences": True}),
                    ("fc", "Linear", {"out_features": 1})])
    b.output(x)
    return b.finish()


def lstm_sine_forecaster() -> Graph:
    b = Builder(
        "LSTM sine forecaster (MAPE)",
        "Time-series forecasting: an LSTM reads a window of past values of a sine wave and predicts the "
        "next one (many-to-one regression). Trained with the mean absolute percentage error "
        "MAPE = mean(|y − ŷ| / |y|) × 100, the forecasting metric of the course; the series is offset away "
        "from zero because MAPE divides by the true value.",
        regression("sine", loss="mape", lr=0.01, epochs=15, batch_size=32),
    )
    x = b.input([16, 1])
    x = b.chain(x, [("lstm", "LSTM", {"hidden_size": 32}), ("fc", "Linear", {"out_features": 1})])
    b.output(x)
    return b.finish()
