"""Image folders from elsewhere (issue 17): a class folder linked to / or a linked sub-folder is
never scanned beyond the image folder, a link to a device is no image, and the scan is capped."""

from __future__ import annotations

import os
import time

import pytest
from test_image_folder_cache import png_folder

import netbuilder.train.image_files as image_files
from netbuilder.train.data import DataError, load_dataset

HINT = (1, 5, 4)


def test_a_class_folder_linked_to_the_root_is_refused_at_once(tmp_path):
    png_folder(tmp_path)
    (tmp_path / "everything").symlink_to("/")
    start = time.monotonic()
    with pytest.raises(DataError, match="class folder 'everything' is a link to /, outside the image folder"):
        load_dataset(str(tmp_path), {}, HINT)
    assert time.monotonic() - start < 2.0


def test_linked_sub_folders_are_not_followed_and_device_links_are_no_images(tmp_path):
    files = png_folder(tmp_path)
    (tmp_path / "a" / "deep").symlink_to("/")  # inside a class: not followed
    if os.path.exists("/dev/zero"):
        (tmp_path / "b" / "zero.png").symlink_to("/dev/zero")  # not a regular file: skipped, never read
    start = time.monotonic()
    data = load_dataset(str(tmp_path), {}, HINT)
    assert time.monotonic() - start < 5.0
    assert len(data.x) == len(files) and data.class_names == ["a", "b"]


def test_a_class_folder_linked_inside_the_image_folder_is_used(tmp_path):
    files = png_folder(tmp_path / "store")
    root = tmp_path / "store"
    (root / "c").symlink_to(root / "a")  # the same images, a third class
    data = load_dataset(str(root), {}, HINT)
    assert data.class_names == ["a", "b", "c"] and len(data.x) == len(files) + len(files) // 2


def test_the_scan_stops_at_the_entry_cap_with_a_message(tmp_path, monkeypatch):
    png_folder(tmp_path, per_class=6)
    monkeypatch.setattr(image_files, "MAX_FOLDER_ENTRIES", 8)
    with pytest.raises(DataError, match="more than 8 files and folders in its class folders"):
        load_dataset(str(tmp_path), {}, HINT)
