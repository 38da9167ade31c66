"""What each named dataset is and where its files come from.

The SHA-256 of every file is pinned here: a download that does not match is
refused. The sums are the published ones for the official files (the same
values torchvision, TensorFlow Datasets and the dataset pages list).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Remote:
    name: str  # the official file name, also the name in the cache folder
    sha256: str
    size: int  # bytes, for the listing and the progress bar before the server says


@dataclass(frozen=True)
class NamedDataset:
    name: str
    title: str
    format: str  # "idx" (the MNIST family) or "cifar10" / "cifar100" (binary batches in a tar.gz)
    base_url: str
    files: tuple[Remote, ...]
    input_shape: tuple[int, int, int]
    num_classes: int
    train_count: int
    test_count: int
    class_names: tuple[str, ...] = ()

    @property
    def size_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def task(self) -> str:
        return "classification"


def _idx_files(sums: tuple[str, str, str, str], sizes: tuple[int, int, int, int]) -> tuple[Remote, ...]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    return tuple(Remote(n, s, b) for n, s, b in zip(names, sums, sizes))


_MNIST = _idx_files(("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
                    (9_912_422, 28_881, 1_648_877, 4_542))
_FASHION = _idx_files(("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                       "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                       "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                       "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
                      (26_421_880, 29_515, 4_422_102, 5_148))
_KMNIST = _idx_files(("51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
                      "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
                      "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
                      "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"),
                     (18_165_135, 29_497, 3_041_136, 5_120))

NAMED: dict[str, NamedDataset] = {d.name: d for d in (
    NamedDataset("mnist", "MNIST handwritten digits", "idx", "https://ossci-datasets.s3.amazonaws.com/mnist",
                 _MNIST, (1, 28, 28), 10, 60_000, 10_000, tuple("0123456789")),
    NamedDataset("fashion_mnist", "Fashion-MNIST clothing", "idx",
                 "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com", _FASHION, (1, 28, 28), 10, 60_000,
                 10_000, ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                          "Bag", "Ankle boot")),
    NamedDataset("kmnist", "Kuzushiji-MNIST Japanese characters", "idx",
                 "http://codh.rois.ac.jp/kmnist/dataset/kmnist", _KMNIST, (1, 28, 28), 10, 60_000, 10_000,
                 ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")),
    NamedDataset("cifar10", "CIFAR-10 colour photos", "cifar10", "https://www.cs.toronto.edu/~kriz",
                 (Remote("cifar-10-binary.tar.gz",
                         "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170_052_171),),
                 (3, 32, 32), 10, 50_000, 10_000, ("airplane", "automobile", "bird", "cat", "deer", "dog",
                                                   "frog", "horse", "ship", "truck")),
    NamedDataset("cifar100", "CIFAR-100 colour photos (fine labels; option labels: coarse)", "cifar100",
                 "https://www.cs.toronto.edu/~kriz",
                 (Remote("cifar-100-binary.tar.gz",
                         "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", 168_513_733),),
                 (3, 32, 32), 100, 50_000, 10_000),
)}
