"""Text CSV/TSV → token ids for an Embedding; the built-in sentiment file and its LSTM preset."""

from __future__ import annotations

import json

import numpy as np
import pytest

from netbuilder.cli import main
from netbuilder.presets import PRESETS_DIR
from netbuilder.train.data import DataError, load_dataset
from netbuilder.train.text_data import PAD, UNKNOWN, build_vocabulary, encode, tokenize


def test_tokenize_lower_cases_words_and_keeps_apostrophes():
    assert tokenize("It's NOT bad, at all!  10/10") == ["it's", "not", "bad", "at", "all", "10", "10"]


def test_vocabulary_is_the_most_frequent_words_with_ties_alphabetical():
    texts = [["b", "a", "c"], ["a", "c"], ["a", "d"]]
    assert build_vocabulary(texts, 5) == {"a": 2, "c": 3, "b": 4}  # 5 ids: pad, unknown and 3 words


def test_encode_pads_before_or_after_and_truncates_to_the_input_length():
    vocab = {"good": 2, "film": 3}
    assert encode(["good", "film", "indeed"], vocab, 5) == [PAD, PAD, 2, 3, UNKNOWN]
    assert encode(["good", "film"], vocab, 4, "post") == [2, 3, PAD, PAD]
    assert encode(["good", "film", "good"], vocab, 2) == [2, 3]


def test_any_csv_with_named_columns_and_a_tsv(tmp_path):
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text('id,review,stars\n1,"Great food, great staff",good\n2,Cold soup,bad\n3,great soup,good\n',
                        encoding="utf-8")
    data = load_dataset(str(csv_file), {"text_column": "review", "target_column": "stars", "vocab_size": 4},
                        [6], "int64")
    assert data.x.dtype == np.int64 and data.x.shape == (3, 6)
    assert data.class_names == ["bad", "good"] and data.y.tolist() == [1, 0, 1]
    # vocabulary of 4 ids: great (3 times), soup (2), then pad and unknown
    assert data.x[0].tolist() == [0, 0, 2, 1, 2, 1] and data.x[1].tolist() == [0, 0, 0, 0, 1, 3]
    tsv = tmp_path / "r.tsv"
    tsv.write_text("label\ttext\npos\tnice one\nneg\tbad one\n", encoding="utf-8")
    data = load_dataset(str(tsv), {"text_column": 1, "target_column": 0}, [3], "int64")
    assert data.x.shape == (2, 3) and data.class_names == ["neg", "pos"]


def test_text_problems_name_the_file_and_option(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("text,label\nhello,a\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column named 'body'"):
        load_dataset(str(f), {"text_column": "body"}, [4], "int64")
    with pytest.raises(DataError, match="vocab_size"):
        load_dataset(str(f), {"text_column": "text", "vocab_size": 1}, [4], "int64")
    with pytest.raises(DataError, match="Embedding after it"):
        load_dataset(str(f), {"text_column": "text"}, [1, 4], "int64")


def test_builtin_sentiment_is_balanced_short_reviews():
    data = load_dataset("sentiment", {}, [24], "int64")
    assert len(data) >= 300 and data.class_names == ["negative", "positive"]
    assert 0.35 < data.y.mean() < 0.65
    assert data.x.max() < 200 and (data.x[:, -1] != PAD).all()  # pre-padding: every review ends in words


@pytest.mark.slow
def test_lstm_sentiment_preset_learns_the_reviews_offline(tmp_path):
    metrics = tmp_path / "m.jsonl"
    assert main(["train", str(PRESETS_DIR / "lstm_sentiment.json"), "--quiet", "--epochs", "6",
                 "--metrics-jsonl", str(metrics)]) == 0
    epochs = [json.loads(line) for line in metrics.read_text().splitlines() if '"epoch"' in line]
    assert epochs[-1]["val_accuracy"] > 0.8
