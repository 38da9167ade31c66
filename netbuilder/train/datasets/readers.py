"""The two file formats of the named datasets, read into uint8 arrays.

MNIST family: four IDX files (gzip or not) by their official names.
CIFAR: the *binary* version — fixed-size records of label byte(s) then
3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major) — read from
the official tar.gz without unpacking it, or from a folder of the .bin
files. Nothing is ever unpickled.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np

from netbuilder.train.data import DataError
from netbuilder.train.file_data import read_idx, read_idx_count, read_idx_stacked

IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
CIFAR10_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR10_TEST = ("test_batch.bin",)
CIFAR100_TRAIN, CIFAR100_TEST = ("train.bin",), ("test.bin",)
PIXELS = 3 * 32 * 32
MAX_MEMBER_BYTES = 400 * 1024 * 1024  # a CIFAR member is at most ~154 MB; larger is not CIFAR


def idx_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def has_idx_set(folder: Path) -> bool:
    return all(idx_file(folder, stem) for pair in IDX_NAMES.values() for stem in pair)


def read_idx_set(folder: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """(images N×1×H×W uint8, the train rows then the t10k rows, decoded straight into one array;
    labels N int64; how many rows are t10k)."""
    paths = {}
    for stems in IDX_NAMES.values():
        for stem in stems:
            path = idx_file(folder, stem)
            if path is None:
                raise DataError(f"{folder}: {stem} (or {stem}.gz) is missing")
            paths[stem] = path
    (train_images, train_labels), (test_images, test_labels) = IDX_NAMES["train"], IDX_NAMES["test"]
    images = read_idx_stacked([paths[train_images], paths[test_images]])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{paths[train_images]}: expected N×H×W bytes, found shape {list(images.shape)} "
                        f"of {images.dtype}")
    labels = []
    for images_stem, labels_stem in IDX_NAMES.values():
        found = read_idx(paths[labels_stem])
        count = read_idx_count(paths[images_stem])
        if found.ndim != 1 or len(found) != count:
            raise DataError(f"{paths[labels_stem]}: {len(found)} labels for {count} images in "
                            f"{paths[images_stem].name}")
        labels.append(found.astype(np.int64))
    return images[:, None], np.concatenate(labels), len(labels[1])


def _places(folder: Path) -> tuple[Path, ...]:
    """The folder itself, then its cifar-* sub-folders (the tar's own top folder, unpacked)."""
    return (folder, *sorted(p for p in folder.glob("cifar-*") if p.is_dir()))


def cifar_kind(folder: Path) -> str | None:
    """'cifar10' or 'cifar100' when the folder (or a cifar-*-bin sub-folder) holds the binary batches."""
    for place in _places(folder):
        if all((place / n).is_file() for n in CIFAR10_TRAIN + CIFAR10_TEST):
            return "cifar10"
        if all((place / n).is_file() for n in CIFAR100_TRAIN + CIFAR100_TEST):
            return "cifar100"
    return None


def _cifar_place(folder: Path) -> Path:
    for place in _places(folder):
        if (place / "test_batch.bin").is_file() or (place / "test.bin").is_file():
            return place
    return folder


def records(raw: bytes, label_bytes: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(images N×3×32×32 uint8, labels N×label_bytes uint8) of CIFAR binary records."""
    size = label_bytes + PIXELS
    if not raw or len(raw) % size:
        raise DataError(f"{where}: {len(raw)} bytes is not a whole number of {size}-byte CIFAR records")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(-1, size)
    return table[:, label_bytes:].reshape(-1, 3, 32, 32), table[:, :label_bytes]


def read_cifar(source: Path, kind: str) -> dict[str, bytes]:
    """Member name → bytes for the batches and label-name files, from the tar.gz or a folder."""
    wanted = set(CIFAR10_TRAIN + CIFAR10_TEST if kind == "cifar10" else CIFAR100_TRAIN + CIFAR100_TEST)
    wanted |= {"batches.meta.txt", "fine_label_names.txt", "coarse_label_names.txt"}
    if source.is_dir():
        place = _cifar_place(source)
        return {n: (place / n).read_bytes() for n in wanted if (place / n).is_file()}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in wanted:
                    if member.size > MAX_MEMBER_BYTES:
                        raise DataError(f"{source}: member {member.name} is {member.size} bytes, more than any "
                                        f"CIFAR file ({MAX_MEMBER_BYTES} at most)")
                    handle = archive.extractfile(member)
                    found[name] = handle.read() if handle else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{source}: not a readable CIFAR tar.gz ({exc})") from None
    return found


def cifar_arrays(files: dict[str, bytes], kind: str, coarse: bool, where: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str] | None]:
    """(x_train, y_train, x_test, y_test, class names or None)."""
    train_names, test_names = (CIFAR10_TRAIN, CIFAR10_TEST) if kind == "cifar10" else (CIFAR100_TRAIN, CIFAR100_TEST)
    missing = [n for n in train_names + test_names if n not in files]
    if missing:
        raise DataError(f"{where}: CIFAR file(s) {', '.join(missing)} not found")
    label_bytes, column = (1, 0) if kind == "cifar10" else (2, 0 if coarse else 1)

    def join(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        parts = [records(files[n], label_bytes, f"{where}/{n}") for n in names]
        x = np.concatenate([p[0] for p in parts])
        return x, np.concatenate([p[1][:, column] for p in parts]).astype(np.int64)

    x_train, y_train = join(train_names)
    x_test, y_test = join(test_names)
    names_file = "batches.meta.txt" if kind == "cifar10" else ("coarse" if coarse else "fine") + "_label_names.txt"
    text = files.get(names_file, b"").decode("utf-8", "replace").split()
    return x_train, y_train, x_test, y_test, text or None
