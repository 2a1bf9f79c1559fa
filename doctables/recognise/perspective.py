"""Photographed pages: the page's perspective, estimated from the directions its lines take in
the image, and the page warped to a square-on view.

Under a perspective, lines that are parallel on paper meet in a vanishing point: text lines,
horizontal rules and the top and bottom edges of the sheet in one, vertical rules, aligned
column edges and the sides of the sheet in another. The page is cut into tiles; in each, the
slope of its horizontal and of its vertical lines is the one whose projection profile of
edge pixels is the most peaked. A vanishing point is fitted to each family of tile directions
(the meeting point most tiles agree with, refitted by least squares on their homogeneous
lines), and the homography that sends both points to infinity, along x and along y, makes
rows and columns straight again. Edges (grey-level steps) rather than an ink threshold are
used so that the uneven light of a photo and the desk around the sheet do not matter. Tiles
are long along the lines they measure: the slope is then precise to about 0.1 degree.

numpy and Pillow only (Pillow's perspective transform warps the page): OpenCV is not a
runtime dependency of doctables, and nothing here needs it.

A page whose lines all run one way (a straight or merely skewed scan or crop) gets no
homography: the deskew handles it, and its output stays the same.

Homographies here act on unit coordinates (x / width, y / height), so that one matrix serves
boxes in points and in pixels alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from doctables.geometry import Box
from doctables.model.layout import PageLayout, Rule
from doctables.models.image import by_plane
from doctables.models.image import strip_rows

Matrix = np.ndarray  # 3 x 3

# Edges are found on the page reduced to about this many pixels a point: steps of this many
# grey levels between neighbouring pixels.
_CELLS_PER_POINT = 2.0
_EDGE_STEP = 20.0
# Tiles (points) along and across the lines they measure: long along them, for the slope's
# precision (a pixel over the tile's length is 0.1 degree).
_TILE_ALONG = 300.0
_TILE_ACROSS = 120.0
_MAX_TILE_POINTS = 2500
_COARSE_POINTS = 800
_MIN_TILE_POINTS = 150
# Slopes searched (degrees either side of the axis): coarse step, then a fine one around it.
_SLOPE_RANGE = 12.0
_COARSE = 0.5
_FINE = 0.1
# A tile's slope counts when its projection at that slope is this much more peaked than the
# mean over the slopes searched (text lines: 2 and more; a tile of prose for vertical lines,
# without aligned edges: about 1.1).
_MIN_CONTRAST = 1.35
_MIN_TILES = 4
# A tile agrees with a vanishing point when its slope misses the direction to it by at most
# this (degrees).
_MAX_MISS = 0.3
# A page is warped only when the slopes of one family of lines scatter over its tiles by more
# than this (degrees, weighted RMS; straight pages: about 0.1), or when its rows and columns
# are this far from square: within it, a deskew (or nothing) does as well.
_MIN_SCATTER = 0.2
_MAX_ASKEW = 0.5


@dataclass(frozen=True)
class _Slopes:
    """Tile centres (unit coordinates centred on the page, scaled by the longer side), the
    direction found there (radians from the axis) and its weight."""

    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    weight: np.ndarray


def estimate(image: np.ndarray, points_per_pixel: float) -> Matrix | None:
    """The homography (unit coordinates of the image onto those of the square-on page) that
    rectifies a photographed page, or None when its lines show no perspective."""
    grey, points_per_cell = _reduced_grey(image, points_per_pixel)
    height, width = grey.shape
    size = max(width, height) / 2.0
    tile = (_TILE_ALONG / points_per_cell, _TILE_ACROSS / points_per_cell)
    # Signed steps: the top and the bottom edges of a stroke are projected apart.
    across = _tile_slopes(_steps(np.diff(grey, axis=0)), size, tile)
    down = _tile_slopes(np.ascontiguousarray(_steps(np.diff(grey, axis=1)).T), size, tile)
    rows_fit = _family(across)
    if rows_fit is None:
        return None
    horizon, rows_converge = rows_fit
    columns_fit = _family(down)
    if columns_fit is None:
        upright, columns_converge = _perpendicular(horizon), False
    else:
        upright, columns_converge = columns_fit
    # Square: a column's slope in its own (transposed) frame is minus the rows' slope when
    # the two are at right angles.
    askew = abs(math.degrees(_direction(horizon, 0.0, 0.0) + _direction(upright, 0.0, 0.0)))
    if not (rows_converge or columns_converge or askew > _MAX_ASKEW):
        return None
    matrix = _rectifier(horizon, upright, width, height)
    return matrix if np.isfinite(matrix).all() else None


def _family(slopes: _Slopes) -> tuple[np.ndarray, bool] | None:
    """The vanishing point of a family of lines and whether they converge: whether the slopes
    of the tiles that agree with it scatter by more than _MIN_SCATTER degrees."""
    if slopes.angle.size < _MIN_TILES:
        return None
    fit = _vanishing_point(slopes)
    if fit is None:
        return None
    point, keep = fit
    angles, weights = slopes.angle[keep], slopes.weight[keep]
    mean = float(np.average(angles, weights=weights))
    scatter = math.degrees(math.sqrt(float(np.average((angles - mean) ** 2, weights=weights))))
    return point, scatter >= _MIN_SCATTER


def _reduced_grey(image: np.ndarray, points_per_pixel: float) -> tuple[np.ndarray, float]:
    """Grey levels averaged over blocks to about _CELLS_PER_POINT pixels a point (JPEG noise
    and blur smoothed), and the points per pixel of the result."""
    factor = max(1, round(1.0 / (_CELLS_PER_POINT * points_per_pixel))) if points_per_pixel > 0 else 1
    # A strip at a time, each a whole number of blocks high: Pillow holds an RGB page at four
    # bytes a pixel, and the blocks (the last one's remainder too) come out the same.
    step = max(1, strip_rows(image.shape[1]) // factor) * factor
    parts = []
    for top in range(0, image.shape[0], step):
        grey = Image.fromarray(image[top : top + step])
        if image.ndim == 3:
            grey = grey.convert("L")
        if factor > 1:
            grey = grey.reduce(factor)
        parts.append(np.asarray(grey, dtype=np.int16))
    return (parts[0] if len(parts) == 1 else np.concatenate(parts)), points_per_pixel * factor


def _steps(diff: np.ndarray) -> np.ndarray:
    """Edges from grey-level differences of neighbours: 1 rising, -1 falling, else 0."""
    edges = (diff > _EDGE_STEP).astype(np.int8)
    edges -= diff < -_EDGE_STEP
    return edges


def _tile_slopes(edges: np.ndarray, size: float, tile: tuple[float, float]) -> _Slopes:
    """The slope of the lines in each tile (`tile`: pixels along and across the lines) of a
    signed edge map whose rows run along the lines (for vertical lines the map comes
    transposed: x and y swap in this frame). Centres measured from the map's centre in
    units of `size` pixels."""
    along_px, across_px = max(16, round(tile[0])), max(16, round(tile[1]))
    length, across = edges.shape[1], edges.shape[0]
    vs, us = np.nonzero(edges)
    rising = edges[vs, us] > 0
    columns = -(-length // along_px)
    cell = (vs // across_px) * columns + us // along_px
    order = np.argsort(cell, kind="stable")
    cells, starts = np.unique(cell[order], return_index=True)
    coarse = np.radians(np.arange(-_SLOPE_RANGE, _SLOPE_RANGE + 1e-9, _COARSE))
    xs_out, ys_out, angles, weights = [], [], [], []
    rng = np.random.default_rng(0)
    for index, pick in zip(cells.tolist(), np.split(order, starts[1:])):
        if pick.size < _MIN_TILE_POINTS:
            continue
        pick = rng.permutation(pick)[:_MAX_TILE_POINTS]
        u, v, up = us[pick].astype(np.float64), vs[pick].astype(np.float64), rising[pick]
        few = slice(0, _COARSE_POINTS)  # a random sample: the points come shuffled
        sharp = _sharpness(u[few], v[few], up[few], coarse)
        best = int(np.argmax(sharp))
        contrast = float(sharp[best] / sharp.mean())
        if contrast < _MIN_CONTRAST:
            continue
        fine = coarse[best] + np.radians(np.arange(-_COARSE, _COARSE + 1e-9, _FINE))
        angle = float(fine[int(np.argmax(_sharpness(u, v, up, fine)))])
        row, column = divmod(index, columns)
        u0, v0 = column * along_px, row * across_px
        centre_u = (u0 + min(u0 + along_px, length)) / 2.0
        centre_v = (v0 + min(v0 + across_px, across)) / 2.0
        xs_out.append((centre_u - length / 2.0) / size)
        ys_out.append((centre_v - across / 2.0) / size)
        angles.append(angle)
        weights.append(contrast - 1.0)
    return _Slopes(np.array(xs_out), np.array(ys_out), np.array(angles), np.array(weights))


def _sharpness(u: np.ndarray, v: np.ndarray, rising: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Sum of squared bin counts of the points projected across lines of each slope, rising
    and falling edges counted apart (one bincount over all: each slope and sign has its own
    span of bins)."""
    offsets = v[None, :] - u[None, :] * np.tan(angles)[:, None]
    bins = np.floor(offsets - offsets.min(axis=1, keepdims=True)).astype(np.int64)
    span = 2 * (int(bins.max()) + 1)
    bins += rising.astype(np.int64)[None, :] * (span // 2)
    bins += np.arange(angles.size, dtype=np.int64)[:, None] * span
    counts = np.bincount(bins.ravel(), minlength=angles.size * span).astype(np.float64)
    return (counts.reshape(angles.size, span) ** 2).sum(axis=1)


def _vanishing_point(slopes: _Slopes) -> tuple[np.ndarray, np.ndarray] | None:
    """The homogeneous point (x, y, w) the tiles' lines run towards, in the frame of `slopes`
    (x along the lines), and which tiles agree with it; None when too few do. Candidates are
    where two tiles' lines meet and each tile's own direction at infinity; the one that the
    most tile weight agrees with (within _MAX_MISS) is refitted on the tiles that agree."""
    n = slopes.angle.size
    dx, dy = np.cos(slopes.angle), np.sin(slopes.angle)
    lines = np.stack([-dy, dx, slopes.x * dy - slopes.y * dx], axis=1)
    first, second = np.triu_indices(n, k=1)
    meets = np.cross(lines[first], lines[second])
    candidates = np.vstack([meets, np.stack([dx, dy, np.zeros(n)], axis=1)])
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True) + 1e-300
    agree = np.stack([_miss(slopes, c) <= _MAX_MISS for c in candidates])
    support = agree @ slopes.weight
    keep = agree[int(np.argmax(support))]
    if keep.sum() < _MIN_TILES:
        return None
    point = _fit_point(slopes, keep)
    agreeing = _miss(slopes, point) <= _MAX_MISS
    if agreeing.sum() >= _MIN_TILES:
        point, keep = _fit_point(slopes, agreeing), agreeing
    return point, keep


def _fit_point(slopes: _Slopes, keep: np.ndarray) -> np.ndarray:
    """Weighted least-squares meeting point of the lines through the tile centres. A light
    pull towards infinity keeps the point from wandering along the lines when the tiles lie
    along one line (any point on it would fit)."""
    dx, dy = np.cos(slopes.angle[keep]), np.sin(slopes.angle[keep])
    x, y = slopes.x[keep], slopes.y[keep]
    lines = np.stack([-dy, dx, x * dy - y * dx], axis=1)
    w = np.sqrt(slopes.weight[keep])[:, None]
    prior = math.sqrt(1e-3 * float(slopes.weight[keep].sum()))
    system = np.vstack([lines * w, [[0.0, 0.0, prior]]])
    point = np.linalg.svd(system)[2][-1]
    return point if point[0] >= 0 else -point


def _miss(slopes: _Slopes, point: np.ndarray) -> np.ndarray:
    """Degrees between each tile's direction and the direction from it to the point."""
    towards = np.arctan2(point[1] - slopes.y * point[2], point[0] - slopes.x * point[2])
    diff = np.abs(towards - slopes.angle) % math.pi
    return np.degrees(np.minimum(diff, math.pi - diff))


def _perpendicular(horizon: np.ndarray) -> np.ndarray:
    """With no vertical lines to go by: verticals square to the rows at the page's centre,
    in the vertical family's own (transposed) frame."""
    angle = math.atan2(horizon[1], horizon[0])
    # The vertical family's frame swaps x and y: a slope `angle` of the rows is -angle there.
    return np.array([math.cos(-angle), math.sin(-angle), 0.0])


def _to_page(point: np.ndarray) -> np.ndarray:
    """A point of the vertical family's (transposed) frame in the page's frame."""
    return np.array([point[1], point[0], point[2]])


def _direction(point: np.ndarray, x: float, y: float) -> float:
    """Slope (radians, within a quarter turn of the axis) of the line from (x, y) to the point."""
    angle = math.atan2(point[1] - y * point[2], point[0] - x * point[2])
    if angle > math.pi / 2:
        angle -= math.pi
    elif angle < -math.pi / 2:
        angle += math.pi
    return angle


def _rectifier(horizon: np.ndarray, upright: np.ndarray, width: int, height: int) -> Matrix:
    """Unit-coordinate homography sending the rows' vanishing point to infinity along x and
    the columns' along y, the page's centre fixed and lengths there kept, scaled down where
    needed so that the whole image stays in the frame."""
    h = horizon
    v = _to_page(upright)
    line = np.cross(h, v)
    line = line / line[2]
    project = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [line[0], line[1], 1.0]])
    dh = (project @ h)[:2]
    dv = (project @ v)[:2]
    dh = dh / np.linalg.norm(dh) * (1 if dh[0] >= 0 else -1)
    dv = dv / np.linalg.norm(dv) * (1 if dv[1] >= 0 else -1)
    square = np.eye(3)
    square[:2, :2] = np.linalg.inv(np.column_stack([dh, dv]))
    centred = square @ project
    size = max(width, height) / 2.0
    to_centred = np.array(
        [[width / size, 0.0, -width / 2.0 / size], [0.0, height / size, -height / 2.0 / size], [0.0, 0.0, 1.0]]
    )
    half = np.array([width / 2.0 / size, height / 2.0 / size])
    corners = _apply(centred, np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float) * half)
    middle = (corners.max(axis=0) + corners.min(axis=0)) / 2.0
    reach = (corners.max(axis=0) - corners.min(axis=0)) / 2.0
    scale = min(1.0, float(np.min(half / reach)))
    fit = np.array([[scale, 0.0, -scale * middle[0]], [0.0, scale, -scale * middle[1]], [0, 0, 1.0]])
    return np.linalg.inv(to_centred) @ fit @ centred @ to_centred


def _apply(matrix: Matrix, points: np.ndarray) -> np.ndarray:
    out = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return out[:, :2] / out[:, 2:]


def warp_image(image: np.ndarray, matrix: Matrix) -> np.ndarray:
    """The image seen through the unit-coordinate homography (same size, outside white)."""
    height, width = image.shape[:2]
    scale = np.diag([width, height, 1.0])
    back = np.linalg.inv(scale @ matrix @ np.linalg.inv(scale))
    back = back / back[2, 2]
    coefficients = tuple(float(v) for v in back.ravel()[:8])
    return by_plane(
        image,
        lambda plane: plane.transform(
            (width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=255
        ),
    )


def warp_box(box: Box, matrix: Matrix, width: float, height: float, inverse: bool = False) -> Box:
    """The bounding box of a box's corners taken through the homography (or its inverse), for a
    page `width` x `height` in the box's unit, clipped to the page."""
    if inverse:
        matrix = np.linalg.inv(matrix)
    x0, y0, x1, y1 = box
    unit = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float) / (width, height)
    moved = _apply(matrix, unit) * (width, height)
    return (
        min(max(float(moved[:, 0].min()), 0.0), width),
        min(max(float(moved[:, 1].min()), 0.0), height),
        min(max(float(moved[:, 0].max()), 0.0), width),
        min(max(float(moved[:, 1].max()), 0.0), height),
    )


def warp_layout(layout: PageLayout, matrix: Matrix) -> PageLayout:
    """The layout's words, rules and graphics moved with the page through the homography
    (rules kept thin along their length)."""
    width, height = layout.width, layout.height

    def move(box: Box) -> Box:
        return warp_box(box, matrix, width, height)

    rules = []
    for r in layout.rules:
        x0, y0, x1, y1 = move((r.x0, r.y0, r.x1, r.y1))
        if r.horizontal:
            y0 = y1 = (y0 + y1) / 2
        else:
            x0 = x1 = (x0 + x1) / 2
        rules.append(Rule(x0, y0, x1, y1))
    return replace(
        layout,
        words=[replace(w, bbox=move(w.bbox)) for w in layout.words],
        rules=rules,
        graphics=[move(b) for b in layout.graphics],
    )
