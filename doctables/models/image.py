"""Image helpers shared by the models: decode, resize and normalise to a model tensor."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image


# Page-sized work is done a strip of rows at a time, each of about this many pixels: the
# temporaries of a 25-megapixel page are then a strip's few megabytes, not the page's.
STRIP_PIXELS = 1 << 20

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# (pixel / 255 - mean) / std as one multiply-add per channel.
_SCALE = (1.0 / (255.0 * _STD)).astype(np.float32)
_OFFSET = (-_MEAN / _STD).astype(np.float32)


def strip_rows(width: int) -> int:
    """Rows of a strip of about STRIP_PIXELS pixels of a plane `width` wide (at least one)."""
    return max(1, STRIP_PIXELS // max(1, width))


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes to an RGB uint8 array (H x W x 3)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def resize_rgb(image: np.ndarray, width: int, height: int, cubic: bool = False) -> np.ndarray:
    """Resize an RGB (or grey) array to exactly width x height the way OpenCV's `cv2.resize`
    does, which is how the Paddle models were fed when they were trained: every output pixel
    is interpolated (bilinear, or bicubic with `cubic`) at its centre's place in the source,
    with no low-pass filter when shrinking. Pillow's `resize` filters over the whole source
    footprint when it shrinks, which blurs thin rules and strokes: the layout model then
    scores real tables far lower (0.93 against 0.35 on one page image)."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    sx, sy = image.shape[1] / width, image.shape[0] / height
    method = Image.BICUBIC if cubic else Image.BILINEAR
    return by_plane(image, lambda plane: plane.transform((width, height), Image.AFFINE, (sx, 0, 0, 0, sy, 0),
                                                         resample=method))


def resize_filtered(image: np.ndarray, width: int, height: int, method: int = Image.BILINEAR) -> np.ndarray:
    """Resize with Pillow's filtering when shrinking (every source pixel counts): bilinear, or
    `method`."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return by_plane(image, lambda plane: plane.resize((width, height), method))


def by_plane(image: np.ndarray, apply: Callable[[Image.Image], Image.Image]) -> np.ndarray:
    """`apply` (a Pillow resampling or transform) on an RGB array one channel at a time, or
    once when its channels are equal (a grey scan decoded as RGB), the channels' results
    written into one array. The same pixels as on the RGB image: Pillow resamples each band of
    an RGB image with the arithmetic of a grey one. But it holds an RGB image at four bytes a
    pixel, in and out, so a 25-megapixel page took 100 MB in Pillow for each step besides its
    copies in numpy; a channel takes one byte a pixel. Every page-sized image that goes through
    Pillow (a model's input resized from the page or a table crop, a warp, a deskew) goes here."""
    if image.ndim == 2:
        return np.asarray(apply(Image.fromarray(image)))
    channels = 1 if _grey_channels(image) else image.shape[2]
    out: np.ndarray | None = None
    for channel in range(channels):
        result = np.asarray(apply(Image.fromarray(np.ascontiguousarray(image[..., channel]))))
        if out is None:
            out = np.empty((*result.shape, image.shape[2]), dtype=image.dtype)
        if channels == 1:
            out[...] = result[..., None]
        else:
            out[..., channel] = result
        del result
    assert out is not None
    return out


def _grey_channels(image: np.ndarray) -> bool:
    """Whether every pixel of an RGB array has its channels equal (a strip at a time)."""
    step = strip_rows(image.shape[1])
    for top in range(0, image.shape[0], step):
        strip = image[top : top + step]
        if not all(np.array_equal(strip[..., 0], strip[..., c]) for c in range(1, strip.shape[2])):
            return False
    return True


def to_model_tensor(image: np.ndarray, bgr: bool) -> np.ndarray:
    """ImageNet-normalised NCHW float32 tensor; the Paddle models were trained on BGR input.
    Written plane by plane into the output (no full-size float temporaries)."""
    tensor = np.empty((1, 3, *image.shape[:2]), dtype=np.float32)
    for plane in range(3):
        source = image[..., 2 - plane] if bgr else image[..., plane]
        np.multiply(source, _SCALE[plane], out=tensor[0, plane], casting="unsafe")
        tensor[0, plane] += _OFFSET[plane]
    return tensor
