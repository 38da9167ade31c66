"""Named datasets downloaded once from their official source, verified by a
pinned SHA-256, cached in the user data folder (registry.py: what each one is;
download.py: fetching; readers.py: the IDX and CIFAR-binary formats;
named.py: turning the files into a Dataset shaped for the graph)."""

from netbuilder.train.datasets.download import DownloadCancelled, DownloadError, cache_folder, fetch, is_cached
from netbuilder.train.datasets.named import load_named, load_named_folder, named_folder_kind
from netbuilder.train.datasets.registry import NAMED, NamedDataset

__all__ = ["NAMED", "NamedDataset", "DownloadError", "DownloadCancelled", "cache_folder", "fetch", "is_cached",
           "load_named", "load_named_folder", "named_folder_kind"]
