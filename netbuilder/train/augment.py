"""Image augmentation on the device, one whole batch at a time.

`{"crop": 4, "flip": true}` (dataset option `augment`) is the classic CIFAR
recipe: pad each image by 4 pixels, cut a random 32×32 window out of it, and
mirror half the images left to right. Offsets and flips are drawn per
sample with one random tensor each and applied by indexing, so the batch
never leaves the device and there is no Python loop over samples.
Validation batches are never augmented.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from netbuilder.train.data import DataError

MAX_CROP = 64


def make_augment(options: Any, sample_shape: tuple[int, ...]) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The batch transform the option asks for, or None; a DataError names a wrong option."""
    if options is None or options is False:
        return None
    if not isinstance(options, dict) or set(options) - {"crop", "flip"}:
        raise DataError(f"dataset option 'augment' must be like {{\"crop\": 4, \"flip\": true}}, got {options!r}")
    crop, flip = options.get("crop", 0), options.get("flip", False)
    if isinstance(crop, bool) or not isinstance(crop, int) or not 0 <= crop <= MAX_CROP:
        raise DataError(f"augment 'crop' must be a whole number of pixels 0..{MAX_CROP}, got {crop!r}")
    if not isinstance(flip, bool):
        raise DataError(f"augment 'flip' must be true or false, got {flip!r}")
    if len(sample_shape) != 3:
        raise DataError(f"augment works on images (channels×height×width); these samples are "
                        f"{'×'.join(map(str, sample_shape))}")
    if not crop and not flip:
        return None
    return lambda batch: augment_batch(batch, crop, flip)


def augment_batch(x: torch.Tensor, crop: int, flip: bool, generator: torch.Generator | None = None) -> torch.Tensor:
    n, _, height, width = x.shape
    if crop:
        padded = F.pad(x, (crop, crop, crop, crop))
        dy = torch.randint(0, 2 * crop + 1, (n, 1, 1), device=x.device, generator=generator)
        dx = torch.randint(0, 2 * crop + 1, (n, 1, 1), device=x.device, generator=generator)
        rows = (torch.arange(height, device=x.device).view(1, -1, 1) + dy).expand(n, height, width)
        cols = (torch.arange(width, device=x.device).view(1, 1, -1) + dx).expand(n, height, width)
        index = (rows * padded.shape[-1] + cols).reshape(n, 1, -1).expand(-1, x.shape[1], -1)
        x = padded.flatten(2).gather(2, index).view_as(x)
    if flip:
        mirror = torch.rand(n, device=x.device, generator=generator) < 0.5
        x = torch.where(mirror.view(n, 1, 1, 1), x.flip(-1), x)
    return x
