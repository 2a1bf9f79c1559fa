"""Image helpers shared by the models: decode, resize and normalise to a model tensor."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG bytes to an RGB uint8 array (H x W x 3)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def resize_rgb(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of an RGB array to exactly width x height."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    resized = Image.fromarray(image).resize((width, height), Image.BILINEAR)
    return np.asarray(resized)


def to_model_tensor(image: np.ndarray, bgr: bool) -> np.ndarray:
    """ImageNet-normalised NCHW float32 tensor; the Paddle models were trained on BGR input."""
    pixels = image[..., ::-1] if bgr else image
    normalised = (pixels.astype(np.float32) / 255.0 - _MEAN) / _STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None])
