"""Text presets: sentiment analysis with an LSTM on the built-in review file."""

from __future__ import annotations

from _gen.builder import Builder, classification

from netbuilder.core.graph import Graph

VOCAB, LENGTH = 200, 24


def lstm_sentiment() -> Graph:
    b = Builder(
        "LSTM sentiment classifier",
        "Sentiment analysis, the course's many-to-one example: each review becomes 24 token ids (the 198 most "
        "frequent words, 0 = padding before the words, 1 = unknown word). An Embedding turns every id into a "
        "learned 32-value vector, an LSTM reads the 24 vectors in order and its last hidden state (64 values) "
        "feeds a 2-way classifier: positive or negative. The reviews include negations (\"not bad at all\"), "
        "which a bag of words gets wrong and the LSTM, reading in order, learns. Trains offline on the built-in "
        "'sentiment' file (420 short reviews written for NetBuilder); any CSV with a text and a label column "
        "works the same way (dataset options text_column, target_column, vocab_size).",
        classification("sentiment", lr=0.01, epochs=20, batch_size=32, validation=0.2,
                       dataset_options={"vocab_size": VOCAB}))
    x = b.add("input", "Input", {"shape": [LENGTH], "dtype": "int64"})
    b.output(b.chain(x, [("embedding", "Embedding", {"num_embeddings": VOCAB, "embedding_dim": 32}),
                         ("lstm", "LSTM", {"hidden_size": 64}),
                         ("fc", "Linear", {"out_features": 2})]))
    return b.finish()


def transformer_sentiment() -> Graph:
    b = Builder(
        "Transformer encoder sentiment classifier",
        "The same reviews read by attention instead of recurrence: token ids → a 32-value Embedding, plus a "
        "learned position embedding (Parameter 24×32; attention itself has no notion of order), two "
        "Transformer encoder layers (4 heads: every word looks at every other word at once), then the 24 "
        "outputs flattened into a 2-way classifier. Compare its curves and parameter count with the LSTM "
        "preset on the same built-in 'sentiment' file.",
        classification("sentiment", lr=0.002, epochs=20, batch_size=32, validation=0.2,
                       dataset_options={"vocab_size": VOCAB}))
    x = b.add("input", "Input", {"shape": [LENGTH], "dtype": "int64"})
    emb = b.chain(x, [("embedding", "Embedding", {"num_embeddings": VOCAB, "embedding_dim": 32})])
    pos = b.add("pos_embedding", "Parameter", {"shape": [LENGTH, 32]}, src=emb, row=1)
    seq = b.add("embedded", "Add", {}, src=[emb, pos])
    block = {"nhead": 4, "dim_feedforward": 64, "dropout": 0.1}
    b.output(b.chain(seq, [("encoder1", "TransformerEncoderLayer", block),
                           ("encoder2", "TransformerEncoderLayer", block),
                           ("flatten", "Flatten"), ("fc", "Linear", {"out_features": 2})]))
    return b.finish()
