"""Text classification from a CSV/TSV: words → token ids for an Embedding.

Options: `text_column` and `target_column` (a header name or a 0-based
index), `vocab_size` (ids kept, pad and unknown included; default 10,000),
`padding` ("pre", the default, puts the padding before the words so an RNN
reads the words last; or "post"). Words are lower-cased runs of letters,
digits and apostrophes. The vocabulary is the most frequent words of the
file (ties alphabetical, so it is the same every run); id 0 is padding, id
1 any word outside the vocabulary. Sequences are cut or padded to the
Input's length.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from netbuilder.train.data import DataError, Dataset, class_index

PAD, UNKNOWN = 0, 1
DEFAULT_VOCAB = 10_000
MAX_VOCAB = 10_000_000
DEFAULT_LENGTH = 64
_WORD = re.compile(r"[a-z0-9']+")


def tokenize(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def build_vocabulary(texts: Sequence[list[str]], size: int) -> dict[str, int]:
    counts = Counter(word for words in texts for word in words)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[:max(size - 2, 0)]
    return {word: i + 2 for i, word in enumerate(ranked)}


def encode(words: list[str], vocabulary: dict[str, int], length: int, padding: str = "pre") -> list[int]:
    ids = [vocabulary.get(w, UNKNOWN) for w in words[:length]]
    pad = [PAD] * (length - len(ids))
    return pad + ids if padding == "pre" else ids + pad


def load_text_csv(path: str, options: dict[str, Any], hint: Sequence[int | None] | None = None) -> Dataset:
    rows, header = _rows(path, options)
    text_col = _column(path, options.get("text_column", 0), header, len(rows[0]), "text_column")
    target_col = _column(path, options.get("target_column", -1), header, len(rows[0]), "target_column")
    if text_col == target_col:
        raise DataError(f"{path}: text_column and target_column are the same column")
    vocab_size = options.get("vocab_size", DEFAULT_VOCAB)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or not 3 <= vocab_size <= MAX_VOCAB:
        raise DataError(f"{path}: option vocab_size must be a whole number 3..{MAX_VOCAB}, got {vocab_size!r}")
    padding = options.get("padding", "pre")
    if padding not in ("pre", "post"):
        raise DataError(f"{path}: option padding must be 'pre' or 'post', got {padding!r}")
    texts = [tokenize(r[text_col]) for r in rows]
    length = _length(hint, texts)
    vocabulary = build_vocabulary(texts, vocab_size)
    x = np.array([encode(t, vocabulary, length, padding) for t in texts], dtype=np.int64)
    y, names = class_index([r[target_col].strip() for r in rows])
    data = Dataset(Path(path).name, x, y, "classification", len(names), names)
    unknown = int((x == UNKNOWN).sum())
    data.notes.append(f"{len(vocabulary)} words in the vocabulary (+ padding 0, unknown 1); sequences of "
                      f"{length} tokens; {unknown} unknown-word tokens")
    data.vocabulary = vocabulary  # type: ignore[attr-defined]  # for showing a sample's words
    return data


def _length(hint: Sequence[int | None] | None, texts: list[list[str]]) -> int:
    if hint:
        if len(hint) != 1:
            raise DataError(f"text becomes a sequence of token ids (length,), but the Input is "
                            f"{'×'.join('?' if d is None else str(d) for d in hint)}; give the Input one dimension "
                            f"and an Embedding after it")
        if hint[0] is not None:
            return int(hint[0])
    return max(1, min(DEFAULT_LENGTH, max((len(t) for t in texts), default=1)))


def _rows(path: str, options: dict[str, Any]) -> tuple[list[list[str]], list[str] | None]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None
    delimiter = options.get("delimiter") or ("\t" if path.lower().endswith(".tsv") or "\t" in text[:2000] else ",")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: a text dataset needs a header and at least one row")
    header, rows = [c.strip() for c in rows[0]], rows[1:]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise DataError(f"{path}: row {i + 2} has {len(row)} values, the header has {len(header)}")
    return rows, header


def _column(path: str, chosen: Any, header: list[str] | None, width: int, option: str) -> int:
    from netbuilder.train.file_data import _target_column  # the CSV loader's rule: a header name or an index

    index = _target_column(path, chosen, header, width)
    if index is None:
        raise DataError(f"{path}: option {option} must name a column (a header name or an index)")
    return index
