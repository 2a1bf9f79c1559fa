"""Boxes as (x0, y0, x1, y1) tuples with the origin at the top-left, and helpers on them."""

from __future__ import annotations

from typing import Iterable, Sequence

Box = tuple[float, float, float, float]


def area(box: Box) -> float:
    """Area of a box; zero when it is empty or inverted."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Box, b: Box) -> float:
    """Area shared by two boxes."""
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    shared = intersection(a, b)
    union = area(a) + area(b) - shared
    return shared / union if union > 0 else 0.0


def union_box(boxes: Iterable[Box]) -> Box:
    """Smallest box containing all `boxes` (which must not be empty)."""
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def centre_in(box: Box, region: Box) -> bool:
    """Whether the centre of `box` lies in `region` (edges included)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def scale(box: Box, factor: float) -> Box:
    """Multiply every coordinate by `factor` (pixels <-> points)."""
    return (box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor)


def normalise(box: Box, width: float, height: float) -> Box:
    """Page-normalised box (0..1), as Textract reports geometry."""
    return (
        _clamp01(box[0] / width),
        _clamp01(box[1] / height),
        _clamp01(box[2] / width),
        _clamp01(box[3] / height),
    )


def rounded(box: Sequence[float], digits: int = 2) -> list[float]:
    """A JSON-friendly copy of a box."""
    return [round(float(v), digits) for v in box]


def to_unrotated(box: Box, width: float, height: float, rotation: int) -> Box:
    """Map a box on the displayed page (size width x height, rotated by `rotation` degrees
    clockwise) back to the unrotated page's frame, PyMuPDF's coordinate convention."""
    x0, y0, x1, y1 = box
    rotation %= 360
    if rotation == 0:
        return box
    if rotation == 90:  # displayed (x, y) came from unrotated (y, height - x)
        return (y0, width - x1, y1, width - x0)
    if rotation == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if rotation == 270:
        return (height - y1, x0, height - y0, x1)
    raise ValueError(f"rotation must be a multiple of 90, got {rotation}")


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))
