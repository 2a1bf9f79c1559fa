"""Turning a page upright: quarter turns and a small deskew, for the image, the layout and
boxes, and the way back to the original image's frame.

Conventions: `rotation` is the clockwise quarter turn (0/90/180/270) applied to the original
image to make it upright; `skew` is the angle in degrees by which the upright image was then
turned counter-clockwise about its centre (a scan whose lines run down to the right has a
positive skew). Boxes are (x0, y0, x1, y1) with the origin top-left, in any unit as long as
width and height are in the same one.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PIL import Image

from doctables.geometry import Box, scale, to_unrotated
from doctables.model.layout import PageLayout, Rule
from doctables.models.image import by_plane
from doctables.recognise.perspective import warp_box


def rotate_image(image: np.ndarray, rotation: int) -> np.ndarray:
    """The image turned clockwise by `rotation` degrees (a multiple of 90)."""
    turns = (rotation % 360) // 90
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90, got {rotation}")
    return np.ascontiguousarray(np.rot90(image, k=-turns)) if turns else image


def rotate_box(box: Box, rotation: int, width: float, height: float) -> Box:
    """A box of the original frame (width x height) in the frame turned clockwise by `rotation`."""
    x0, y0, x1, y1 = box
    rotation %= 360
    if rotation == 0:
        return box
    if rotation == 90:  # (x, y) -> (height - y, x)
        return (height - y1, x0, height - y0, x1)
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:  # (x, y) -> (y, width - x)
        return (y0, width - x1, y1, width - x0)
    raise ValueError(f"rotation must be a multiple of 90, got {rotation}")


def deskew_image(image: np.ndarray, skew: float) -> np.ndarray:
    """The image turned counter-clockwise by `skew` degrees about its centre, same size,
    corners filled white."""
    if not skew:
        return image
    if image.ndim == 2:
        turned = Image.fromarray(image).rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=(255, 255, 255))
        return np.asarray(turned)
    # a channel at a time: the same pixels, without Pillow's 4 bytes a pixel in and out
    return by_plane(image, lambda plane: plane.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=255))


def enlarge(image: np.ndarray, factor: float) -> np.ndarray:
    """The image enlarged `factor` times (bicubic: small text keeps its strokes apart)."""
    height, width = image.shape[:2]
    size = (round(width * factor), round(height * factor))
    if image.ndim == 2:
        return np.asarray(Image.fromarray(image).resize(size, Image.BICUBIC))
    return by_plane(image, lambda plane: plane.resize(size, Image.BICUBIC))


def skew_box(box: Box, skew: float, width: float, height: float, inverse: bool = False) -> Box:
    """Where a box lands when its page (width x height) is turned counter-clockwise by `skew`
    degrees about the centre (or back, with `inverse`): the bounding box of its turned corners."""
    if not skew:
        return box
    angle = math.radians(-skew if inverse else skew)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = width / 2.0, height / 2.0
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        # counter-clockwise on screen, with y pointing down
        xs.append(cx + dx * cos + dy * sin)
        ys.append(cy - dx * sin + dy * cos)
    return (
        min(max(min(xs), 0.0), width),
        min(max(min(ys), 0.0), height),
        min(max(max(xs), 0.0), width),
        min(max(max(ys), 0.0), height),
    )


def to_original(
    box: Box, rotation: int, width: float, height: float, skew: float = 0.0, warp: np.ndarray | None = None
) -> Box:
    """Map a box on the upright page (size width x height, in the box's unit) back to the
    original image's frame, undoing the deskew, the perspective warp (a unit-coordinate
    homography, see perspective.py) and then the quarter turn."""
    if skew:
        box = skew_box(box, skew, width, height, inverse=True)
    if warp is not None:
        box = warp_box(box, warp, width, height, inverse=True)
    return to_unrotated(box, width, height, rotation % 360)


def scaled_layout(layout: PageLayout, factor: float) -> PageLayout:
    """The layout in a frame `factor` times as many points across: page size, words, rules
    and drawings grown with it; the image and its pixels stay as they are."""
    if factor == 1.0:
        return layout
    return replace(
        layout,
        width=layout.width * factor,
        height=layout.height * factor,
        words=[replace(w, bbox=scale(w.bbox, factor)) for w in layout.words],
        rules=[Rule(r.x0 * factor, r.y0 * factor, r.x1 * factor, r.y1 * factor) for r in layout.rules],
        graphics=[scale(box, factor) for box in layout.graphics],
    )


def upright_layout(layout: PageLayout, rotation: int, skew: float) -> PageLayout:
    """The layout of the page turned clockwise by `rotation`, then deskewed by `skew`: words
    and rules move with the image; width, height, image size and rotation describe the
    upright page (rotation adds the turn to the page's own /Rotate, so that
    geometry.to_unrotated still maps the upright page back to the PDF's unrotated page)."""
    rotation %= 360
    if rotation == 0 and not skew:
        return layout
    width, height = layout.width, layout.height
    swap = rotation in (90, 270)
    new_w, new_h = (height, width) if swap else (width, height)

    def move(box: Box) -> Box:
        return skew_box(rotate_box(box, rotation, width, height), skew, new_w, new_h)

    words = [replace(w, bbox=move(w.bbox), turn=(w.turn - rotation) % 360) for w in layout.words]
    rules = []
    for r in layout.rules:
        x0, y0, x1, y1 = move((r.x0, r.y0, r.x1, r.y1))
        if skew:  # a turned rule is still a line: keep it thin along its length
            if (r.x1 - r.x0 >= r.y1 - r.y0) != swap:
                y0 = y1 = (y0 + y1) / 2
            else:
                x0 = x1 = (x0 + x1) / 2
        rules.append(Rule(x0, y0, x1, y1))
    graphics = [move(box) for box in layout.graphics]
    return replace(
        layout,
        width=new_w,
        height=new_h,
        rotation=(layout.rotation + rotation) % 360,
        image_width=layout.image_height if swap else layout.image_width,
        image_height=layout.image_width if swap else layout.image_height,
        words=words,
        rules=rules,
        graphics=graphics,
    )
