"""OCR for scanned pages: decide whether a page's text layer can be used, turn the page
upright, and read the text of its table regions (or the whole page) from the image.

    image, layout, decision = prepare_page(image, layout, settings, regions)
    tables = extract_tables(image, layout, models)        # on the upright page
    box_on_original = decision.original_box(table.bbox, layout.width, layout.height)
    # the same: to_original(table.bbox, decision.rotation_applied, layout.width,
    #                       layout.height, decision.skew)

`regions(upright_image)` gives the boxes (image pixels) to read, the table detector's in
the table stage; with `settings.ocr_full_page` the whole page is read instead.

A page whose text layer is usable is returned as it came (turned upright only when its
words run vertically). Otherwise OCR runs: the page is turned upright (quarter turns from
the direction of its text lines, checked against the text detector's line boxes, then
upright or upside down by which way the recogniser reads its widest lines better), a
photographed page warped square-on (perspective.py: the vanishing points of its rows and
columns), deskewed (the angle whose ink projection is most peaked, when it is clearly more
peaked than none), and its regions are read; the returned image is cleaned
(paper made white, specks removed: the table models then see what they were trained on),
while the recogniser and the rule finder read the scan as it is. The returned layout holds
the OCR words there and the text layer's words elsewhere, and ruling lines found in the
image when the layout had none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from doctables.geometry import Box, centre_in, intersection, scale
from doctables.model.layout import PageLayout, Rule, Word, unspaced_script
from doctables.recognise import pages, perspective
from doctables.recognise.components import runs
from doctables.recognise.ocr_models import DETECTION_MAX_SIDE, OcrModels, RecognisedWord, load_ocr_models
from doctables.recognise.transform import (
    deskew_image,
    enlarge,
    rotate_image,
    scaled_layout,
    to_original,
    upright_layout,
)
from doctables.settings import Settings

__all__ = ["PageDecision", "load_ocr_models", "prepare_page", "read_regions", "to_original"]

# Skews smaller than this (degrees) are left alone: resampling would blur more than it fixes.
_MIN_SKEW = 0.15
# A region to read is grown by this (points) on every side: detectors cut borders; and
# by this much above it, two text lines: the layout model often leaves out a heading's first
# lines over a table (a column heading wrapped upward, "For the Nine / Months Ended").
_REGION_MARGIN = 8.0
_REGION_HEADROOM = 24.0
# Recognised lines scoring below this are dropped (PaddleOCR's text_score).
_MIN_LINE_SCORE = 0.5
# A blank stretch inside a read word this wide (in line heights; a line crop is about 1.4
# font sizes tall, so about half an em) is a space the recogniser missed.
_MISSED_SPACE = 0.4
# The page is searched for text lines at most this many pixels on its longer side (PaddleOCR's
# own detection default): big pages are shrunk for speed, small screenshots are not.
_ORIENTATION_SIDE = 960
# Regions are searched for text lines at most this many pixels on their longer side (the text
# detector's own cap).
_DETECTION_SIDE = DETECTION_MAX_SIDE
# Small text lines are searched again enlarged to this height (pixels), by at least 1.5 and
# at most 3 times: on screenshots of tables at 72 dpi (lines of 14-17 pixels), 1.5-2 times
# read 2% more of the words; lines of 20 pixels and more read as well as they are.
_READ_LINE_HEIGHT = 28.0
# A vertical rule crosses a text line when ink runs over this share of the line box's height.
_RULE_THROUGH_LINE = 0.9
_MIN_ENLARGEMENT = 1.5
# A found box this many times taller than wide is not a line of text across (upright page).
_TALL_BOX = 2.0
# A box no taller than this many times its width holds a short text set upright (a figure).
_SHORT_TEXT = 1.5
_MAX_ENLARGEMENT = 3.0
# Upright or upside down: this many of the widest lines are read both ways, each cut to this
# many line heights (what the recogniser reads in one 48 x 384 input).
_CONFIRM_LINES = 6
_CONFIRM_WIDTH = 8
# A text line found by the detector (its box, about 1.5 font sizes) this many points thick
# holds type smaller than print is set; a bare image whose DPI metadata makes its median line
# thinner says a resolution it was not made at (a 150 dpi page claiming 2,400 dpi: lines of
# 0.8-1.0 point), and is laid out as an image without metadata is: at 96 dpi, PyMuPDF's frame
# for an image that says nothing. Every page image of the dev sets and their variants, at
# their stated resolution, has a median line of 8.8 points or more.
_SMALLEST_PRINTED_LINE = 5.0
_UNSTATED_POINTS_PER_PIXEL = 72.0 / 96.0
# Which way a text layer's lines run on the page, by the turn that makes them upright.
_RUNS = {90: "upwards", 180: "upside down", 270: "downwards"}


@dataclass(frozen=True)
class PageDecision:
    """What was decided for a page (recorded on the page item)."""

    text_layer: str  # "usable" | "absent" | "insufficient"
    ocr: bool  # OCR ran on this page
    rotation_applied: int  # 0/90/180/270: clockwise turn that made the page image upright
    reason: str  # one human sentence
    skew: float = 0.0  # degrees the upright image was then turned counter-clockwise (deskew)
    # A photographed page: the homography (unit coordinates, 3 x 3 row by row) that took the
    # turned image to its square-on view, before the deskew.
    perspective: tuple[float, ...] | None = None
    # Points of the returned layout per point of the page (above 1 when the image's DPI
    # metadata was not believed, see `_frame_scale`).
    frame_scale: float = 1.0

    def original_box(self, box: Box, width: float, height: float) -> Box:
        """A box on the upright page (width x height, in the box's unit: the returned
        layout's points, or pixels of the returned image) in the original image's frame."""
        warp = None if self.perspective is None else np.array(self.perspective).reshape(3, 3)
        original = to_original(box, self.rotation_applied, width, height, self.skew, warp)
        return original if self.frame_scale == 1.0 else scale(original, 1.0 / self.frame_scale)

    @property
    def moved(self) -> bool:
        """Whether the returned layout's frame differs from the page's as rendered."""
        return bool(self.rotation_applied or self.skew or self.perspective or self.frame_scale != 1.0)


def prepare_page(
    image: np.ndarray,
    layout: PageLayout,
    settings: Settings,
    regions: Callable[[np.ndarray], list[Box]],
    models: OcrModels | None = None,
) -> tuple[np.ndarray, PageLayout, PageDecision]:
    """The page made ready for table extraction: (upright image, its layout, decision)."""
    points_per_pixel = layout.width / layout.image_width if layout.image_width else 72.0 / layout.dpi
    stated_dpi, frame_scale, page_lines = 72.0 / points_per_pixel, 1.0, None
    if not layout.words:
        # A bare image: its text lines tell whether its DPI metadata can be believed.
        models = models or load_ocr_models(settings)
        page_lines = _page_lines(image, models)
        frame_scale = _frame_scale(_line_thickness(_shrink_factor(image), page_lines[1]), points_per_pixel)
        layout = scaled_layout(layout, frame_scale)
        points_per_pixel *= frame_scale
    ink = pages.ink_map(image, points_per_pixel)
    text = pages.text_ink(ink)
    verdict, reason = pages.judge_text_layer(layout, ink, text)
    if verdict == "usable":
        # The text layer knows which way its lines run: no model needs to guess.
        rotation = layout.text_turn()
        if not rotation:
            return image, layout, PageDecision(verdict, False, 0, reason)
        upright = rotate_image(image, rotation)
        return upright, upright_layout(layout, rotation, 0.0), PageDecision(
            verdict, False, rotation, f"{reason}; its text runs {_RUNS[rotation]}, turned {rotation} degrees"
        )

    if verdict == "absent" and text.total < pages._MIN_TEXT_INK:
        if not pages.shows_text(image, points_per_pixel):
            return image, layout, PageDecision(verdict, False, 0, reason, frame_scale=frame_scale)
        reason = "the page has no text layer; its text, faint or small, is only in the image"
    models = models or load_ocr_models(settings)
    rotation, line_height = _orientation(image, ink, models, page_lines)
    turned = rotate_image(image, rotation)
    warp = perspective.estimate(turned, points_per_pixel)
    if warp is not None:
        turned = perspective.warp_image(turned, warp)
    cleaned = pages.clean_scan(turned)
    skew = pages.estimate_skew(pages.ink_map(cleaned, points_per_pixel))
    if abs(skew) < _MIN_SKEW:
        skew = 0.0
    # The table models get the cleaned page (what they were trained on); the recogniser and
    # the rules get the scan as it is, since cleaning whitens the grey edges of small or
    # light text and light-coloured rules: on screenshots of tables, text read from the
    # cleaned page was garbled.
    upright = deskew_image(cleaned, skew)
    as_scanned = deskew_image(turned, skew)
    del cleaned, turned  # once deskewed, copies of the page that nothing reads again
    # Small text (a screenshot at 72 dpi, a page image shrunk) is read, ruled and modelled
    # enlarged to the size text is read best at, the whole page at once.
    enlargement = _enlargement(line_height, as_scanned, settings.max_render_pixels)
    if enlargement > 1.0:
        upright, as_scanned = enlarge(upright, enlargement), enlarge(as_scanned, enlargement)
        points_per_pixel /= enlargement
    if warp is None:
        new_layout = upright_layout(layout, rotation, skew)
    else:
        turned_layout = perspective.warp_layout(upright_layout(layout, rotation, 0.0), warp)
        new_layout = upright_layout(turned_layout, 0, skew)
    if settings.ocr_full_page:
        boxes: list[Box] = [(0.0, 0.0, float(upright.shape[1]), float(upright.shape[0]))]
    else:
        boxes = list(regions(upright))
    rules = new_layout.rules or pages.image_rules(as_scanned, points_per_pixel)
    ocr_words = read_regions(
        as_scanned, boxes, points_per_pixel, models, first_line=_next_line(new_layout), rules=rules
    )
    read = [_read_box(b, points_per_pixel, upright.shape[1], upright.shape[0]) for b in boxes]
    read_points = [tuple(v * points_per_pixel for v in b) for b in read]
    kept = [w for w in new_layout.words if not any(centre_in(w.bbox, b) for b in read_points)]
    new_layout = replace(
        new_layout, words=kept + ocr_words, rules=rules, image_width=upright.shape[1], image_height=upright.shape[0]
    )
    changes = []
    if rotation:
        changes.append(f"turned {rotation} degrees")
    if warp is not None:
        changes.append("its perspective straightened")
    if skew:
        changes.append(f"deskewed by {skew:.2f} degrees")
    if enlargement > 1.0:
        changes.append(f"enlarged {enlargement:.2f} times for its small text")
    if frame_scale != 1.0:
        changes.append(f"laid out at 96 dpi, not the {stated_dpi:.0f} its metadata says")
    what = "the whole page" if settings.ocr_full_page else f"{len(boxes)} table region(s)"
    sentence = f"{reason}; read {what} with OCR ({len(ocr_words)} words)"
    if changes:
        sentence += ", " + " and ".join(changes)
    flat = None if warp is None else tuple(round(float(v), 6) for v in (warp / warp[2, 2]).ravel())
    return upright, new_layout, PageDecision(verdict, bool(boxes), rotation, sentence, skew, flat, frame_scale)


def _frame_scale(line_thickness: float | None, points_per_pixel: float) -> float:
    """1, or how many times the page's frame (points) is grown when its text lines
    (`line_thickness`, median, pixels) come out smaller in it than print is ever set: the
    frame an image without DPI metadata gets instead."""
    if not line_thickness or line_thickness * points_per_pixel >= _SMALLEST_PRINTED_LINE:
        return 1.0
    return max(1.0, _UNSTATED_POINTS_PER_PIXEL / points_per_pixel)


def _shrink_factor(image: np.ndarray) -> float:
    """How much a page is shrunk to be searched for text lines as a whole."""
    return min(1.0, _ORIENTATION_SIDE / max(image.shape[:2]))


def _page_lines(image: np.ndarray, models: OcrModels) -> tuple[np.ndarray, list]:
    """The page shrunk by `_shrink_factor`, and the text detector's line boxes on it."""
    small = pages.shrink(image, _shrink_factor(image))
    return small, models.detector.detect(small)


def _line_thickness(factor: float, lines: list) -> float | None:
    """The median thickness (pixels of the page at full size) of the found text lines that
    run clearly one way, across or down: the height of a line across, whichever way the
    page is turned. None when there are none."""
    thick = [
        min(x1 - x0, y1 - y0) / factor
        for x0, y0, x1, y1 in (line.box for line in lines)
        if max(x1 - x0, y1 - y0) >= _TALL_BOX * min(x1 - x0, y1 - y0) > 0
    ]
    return float(np.median(thick)) if thick else None


def _enlargement(line_height: float | None, image: np.ndarray, max_pixels: int) -> float:
    """How many times an upright page image is enlarged before it is read: 1 when its text
    lines (`line_height`: their median height as found for its orientation, on the page
    shrunk) are near the height text is read best at, else enough to bring them there, at
    most `_MAX_ENLARGEMENT` times and `max_pixels` in all."""
    if not line_height:
        return 1.0
    room = math.sqrt(max_pixels / (image.shape[0] * image.shape[1]))
    enlargement = min(_READ_LINE_HEIGHT / max(line_height, 1.0), _MAX_ENLARGEMENT, room)
    return enlargement if enlargement >= _MIN_ENLARGEMENT else 1.0


def detect_rotation(image: np.ndarray, ink: pages.InkMap, models: OcrModels) -> int:
    """Clockwise quarter turn (0/90/180/270) that makes a scanned page's text upright: lines
    running vertically mean 90 or 270; the recogniser then tells upright from upside down by
    reading the page's widest text lines both ways."""
    return _orientation(image, ink, models)[0]


def _orientation(
    image: np.ndarray, ink: pages.InkMap, models: OcrModels, page_lines: tuple[np.ndarray, list] | None = None
) -> tuple[int, float | None]:
    """`detect_rotation`'s turn, and the median height (pixels of `image`) of the text lines
    it found across the upright page (None when it found none). `page_lines`: what
    `_page_lines` found on the page, when it was asked already."""
    vertical = pages.line_direction(ink)[0]
    factor = _shrink_factor(image)
    small, lines = page_lines if page_lines is not None else _page_lines(image, models)
    if vertical and (_mostly_across(lines) or _stacked_figures(image, lines, factor, models)):
        # Ruled columns and stacked figures make an ink profile look vertical; the text
        # detector's line boxes show which way the text runs.
        vertical = False
    base = 90 if vertical else 0
    upright = rotate_image(image, base)
    if base:
        small = pages.shrink(upright, factor)
        lines = models.detector.detect(small)
    if not lines:
        return base, None
    across = [line.box for line in lines if line.box[3] - line.box[1] <= _TALL_BOX * (line.box[2] - line.box[0])]
    height = float(np.median([y1 - y0 for _, y0, _, y1 in across])) / factor if across else None
    # Upright or upside down: the recogniser reads the widest lines both ways. (PP-OCR's
    # small text-line orientation model, asked the same, called upright text upside down on
    # 3 of 23 photographed pages and missed 10 of 23 upside-down ones.)
    scale = upright.shape[1] / small.shape[1]
    return ((base + 180) % 360 if _reads_better_turned(upright, lines, scale, models) else base), height


def _stacked_figures(image: np.ndarray, lines: list, factor: float, models: OcrModels) -> bool:
    """Whether the tallest boxes found on the page shrunk by `factor` are columns of short
    texts set close (a tax table's figures), not lines running down the page: searched again
    in the full-size image enlarged as small lines are, they come apart into short texts (no
    taller than half again their width), where a line running down stays one tall box."""
    tall = sorted(
        (line for line in lines if line.box[3] - line.box[1] > line.box[2] - line.box[0]),
        key=lambda line: line.box[1] - line.box[3],
    )[:_CONFIRM_LINES]
    height, width = image.shape[:2]
    short = total = 0.0
    for line in tall:
        x0, y0, x1, y1 = (v / factor for v in line.box)
        side = x1 - x0  # a margin of the box's own width on each side
        top, bottom = max(0, int(y0 - side)), min(height, int(y1 + side))
        crop = image[top:bottom, max(0, int(x0 - side)) : min(width, int(x1 + side))]
        if min(crop.shape[:2]) < 8:
            continue
        for found in models.detector.detect(crop, min(_MAX_ENLARGEMENT, _DETECTION_SIDE / max(crop.shape[:2]))):
            w, h = found.box[2] - found.box[0], found.box[3] - found.box[1]
            total += max(w, h)
            short += max(w, h) if h <= _SHORT_TEXT * w else 0.0
    return total > 0 and short > 0.5 * total


def _reads_better_turned(image: np.ndarray, lines: list, scale: float, models: OcrModels) -> bool:
    """Whether the recogniser is surer of the page's widest text lines turned 180 degrees
    than as they are (line boxes found on the page shrunk by `scale`)."""
    pieces = []
    for line in sorted(lines, key=lambda l: l.box[0] - l.box[2])[:_CONFIRM_LINES]:
        x0, y0, x1, y1 = (round(v * scale) for v in line.box)
        height = y1 - y0
        if height >= 8 and x1 - x0 >= 2 * height:
            pieces.append(image[y0:y1, x0 : min(x1, x0 + _CONFIRM_WIDTH * height)])
    if not pieces:
        return False
    as_is = models.recognizer.recognise(pieces)
    turned = models.recognizer.recognise([np.ascontiguousarray(p[::-1, ::-1]) for p in pieces])
    return _certainty(turned) > _certainty(as_is)


def _certainty(readings: list) -> float:
    """How sure the recogniser is of its readings of a page's lines: a reading of nothing
    but spaces is no evidence either way (tiny text turned over was read as spaces, sure of
    them, and outvoted the words read the right way up)."""
    return sum(r.score for r in readings if r.text.strip())


def _mostly_across(lines: list) -> bool:
    """Whether most of the text the detector found (by length) lies in boxes wider than tall."""
    across = total = 0.0
    for line in lines:
        width, height = line.box[2] - line.box[0], line.box[3] - line.box[1]
        total += max(width, height)
        across += width if width > height else 0.0
    return total > 0 and across > 0.5 * total


def read_regions(
    image: np.ndarray,
    boxes: list[Box],
    points_per_pixel: float,
    models: OcrModels,
    first_line: int = 0,
    rules: Sequence[Rule] = (),
) -> list[Word]:
    """OCR words of the given regions (image pixels) of an upright page, in points; words
    of one text line share a `line` id, counted from `first_line`. A text line that a
    vertical rule (of `rules`, in points) crosses is read as the pieces between its rules,
    and its words are fitted to their glyphs' ink without the rule's: read across the
    rule, the figures on either side became one word, or the rule a "|"; fitted over it, a
    word hid the column boundary there."""
    height, width = image.shape[:2]
    # How far from a found rule's centre its pixels are looked for: half the thickest rule
    # the rule finder takes, half a point of blur and a pixel.
    half = (pages.IMAGE_RULE_THICKNESS / 2 + 0.5) / points_per_pixel + 1.0
    verticals = [
        ((r.x0 + r.x1) / 2 / points_per_pixel, r.y0 / points_per_pixel, r.y1 / points_per_pixel)
        for r in rules
        if not r.horizontal
    ]
    margin = round(_REGION_MARGIN / points_per_pixel)
    regions = _merge([_read_box(b, points_per_pixel, width, height) for b in boxes])
    words: list[Word] = []
    line_id = first_line
    for x0, y0, x1, y1 in regions:
        ix0, iy0, ix1, iy1 = int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))
        crop = image[iy0:iy1, ix0:ix1]
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            continue
        crop, (ix0, iy0) = _with_margin(crop, (ix0, iy0), (width, height), margin)
        # Text detection sees at most _DETECTION_SIDE pixels on the longer side (see
        # ocr_models.DETECTION_MAX_SIDE); lines are then read at full resolution.
        scale = min(1.0, _DETECTION_SIDE / max(crop.shape[:2]))
        lines = _reading_order(_find_lines(crop, scale, models))
        in_crop = [(x - ix0, top - iy0, bottom - iy0) for x, top, bottom in verticals]
        crops, kept = [], []
        for k, line in enumerate(lines):
            box = tuple(round(v) for v in line.box)
            for lx0, ly0, lx1, ly1 in _pieces(box, _crossing(crop, in_crop, box, half)):
                piece = crop[ly0:ly1, lx0:lx1]
                if piece.shape[0] >= 4 and piece.shape[1] >= 4:
                    crops.append(piece)
                    kept.append((k, (lx0, ly0, lx1, ly1)))
        read: dict[int, int] = {}
        for (k, (lx0, ly0, lx1, ly1)), result in zip(kept, models.recognizer.recognise(crops)):
            if result.score < _MIN_LINE_SCORE or not result.words:
                continue
            line = crop[ly0:ly1, lx0:lx1]
            line_ink = pages.denoise(pages.is_ink(line, pages.ink_level(line)))
            line_words = _at_missed_spaces(result.words, line_ink)
            extents = pages.fit_words(line_ink, [(w.x0, w.x1) for w in line_words])
            if k not in read:
                read[k] = line_id
                line_id += 1
            for word, (wx0, wx1) in zip(line_words, extents):
                bx0 = max(0.0, ix0 + lx0 + max(0.0, wx0))
                bx1 = min(float(width), ix0 + lx0 + min(float(lx1 - lx0), wx1))
                word_box = (
                    bx0 * points_per_pixel,
                    max(0, iy0 + ly0) * points_per_pixel,
                    max(bx1, bx0 + 1) * points_per_pixel,
                    min(height, iy0 + ly1) * points_per_pixel,
                )
                words.append(Word(text=word.text, bbox=word_box, line=read[k], confidence=round(word.score, 4)))
    return words


def _at_missed_spaces(words: list[RecognisedWord], line_ink: np.ndarray) -> list[RecognisedWord]:
    """The line's words, each cut where its characters stand either side of a blank stretch
    of the line's ink wider than a word space (two figures of neighbouring columns set close,
    "39,385" and "181.2", that the recogniser read as one word with no space between)."""
    least = _MISSED_SPACE * line_ink.shape[0]
    blank = ~line_ink.any(axis=0)
    result: list[RecognisedWord] = []
    for word in words:
        if len(word.at) != len(word.text) or len(word.text) < 2:
            result.append(word)
            continue
        start = 0
        for k in range(1, len(word.text)):
            a, b = int(word.at[k - 1]), int(word.at[k])
            _, starts, ends = runs(blank[None, max(0, a) : max(0, b)])
            if not starts.size or (ends - starts).max() < least or unspaced_script(word.text[k - 1]) or unspaced_script(word.text[k]):
                continue
            result.append(_part(word, start, k))
            start = k
        result.append(word if start == 0 else _part(word, start, len(word.text)))
    return result


def _part(word: RecognisedWord, start: int, stop: int) -> RecognisedWord:
    """Characters start..stop of a word, spanning from its first character's place (the
    word's own start for the first) to its last's."""
    x0 = word.x0 if start == 0 else word.at[start]
    x1 = word.x1 if stop == len(word.text) else word.at[stop - 1]
    return RecognisedWord(word.text[start:stop], x0, max(x1, x0 + 1.0), word.score, word.at[start:stop])


def _with_margin(
    crop: np.ndarray, origin: tuple[int, int], size: tuple[int, int], margin: int
) -> tuple[np.ndarray, tuple[int, int]]:
    """A crop given `margin` pixels of its own paper on each side where it meets the image's
    edge with ink within half that margin, and its new origin in image pixels: the text
    detector misses lines that touch the border (a screenshot cut tight round a table lost
    its first and last rows). Elsewhere the crop is left as it is."""
    (x0, y0), (width, height) = origin, size
    edges = (y0 <= 0, y0 + crop.shape[0] >= height, x0 <= 0, x0 + crop.shape[1] >= width)
    if not any(edges):
        return crop, origin  # a region inside the page: nothing to look at
    level = pages.ink_level(crop)
    near = max(1, margin // 2)
    strips = (crop[:near], crop[-near:], crop[:, :near], crop[:, -near:])
    top, bottom, left, right = (
        margin if meets and pages.is_ink(strip, level).any() else 0 for meets, strip in zip(edges, strips)
    )
    if not (top or bottom or left or right):
        return crop, origin
    paper = np.median(crop.reshape(-1, crop.shape[2]) if crop.ndim == 3 else crop.reshape(-1, 1), axis=0)
    padded = np.empty((crop.shape[0] + top + bottom, crop.shape[1] + left + right, *crop.shape[2:]), crop.dtype)
    padded[...] = paper.astype(crop.dtype) if crop.ndim == 3 else crop.dtype.type(paper[0])
    padded[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return padded, (x0 - left, y0 - top)


def _crossing(
    crop: np.ndarray, verticals: list[tuple[float, float, float]], box: tuple[int, int, int, int], half: float
) -> list[tuple[int, int]]:
    """Pixel columns [a, b) of `crop` where the vertical rules (x, top, bottom) found within
    `half` of them cross a line box, through it or at its ends: the columns drawn over the
    box's whole height (a rule found running on into the line, along a stroke of a heading
    centred over it, stops at the text; a glyph beside the rule keeps its pixels)."""
    x0, y0, x1, y1 = box
    found: list[tuple[int, int]] = []
    paper: float | None = None
    for x, top, bottom in verticals:
        if not (x0 - half <= x <= x1 + half and top <= y1 and bottom >= y0):
            continue
        a, b = max(0, int(np.floor(x - half))), min(crop.shape[1], int(np.ceil(x + half)) + 1)
        if b <= a or y1 <= max(0, y0):
            continue
        if paper is None:
            paper = float(np.median(_grey(crop[max(0, y0) : y1, max(0, x0) : x1])))
        # darker than the line's paper by a light rule's contrast (see pages.image_rules)
        drawn = _grey(crop[max(0, y0) : y1, a:b]) < paper - pages.RULE_CONTRAST
        through = np.nonzero(drawn.mean(axis=0) >= _RULE_THROUGH_LINE)[0]
        if through.size:
            found.append((a + int(through[0]), a + int(through[-1]) + 1))
    return sorted(found)


def _grey(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image.mean(axis=2)


def _pieces(box: tuple[int, int, int, int], crossing: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """A line box cut at the rules crossing it (their columns, and one pixel of their blurred
    edge either side, left out)."""
    x0, y0, x1, y1 = box
    pieces, start = [], x0
    for a, b in crossing:
        if a - 1 > start:
            pieces.append((start, y0, a - 1, y1))
        start = max(start, b + 1)
    if x1 > start:
        pieces.append((start, y0, x1, y1))
    return pieces


def _find_lines(crop: np.ndarray, scale: float, models: OcrModels) -> list:
    """Text lines of a region searched at `scale`, then again enlarged when they are small
    (a screenshot's text: lines under about 18 pixels are cut and misread)."""
    found = models.detector.detect(crop, scale)
    most = min(_DETECTION_SIDE / max(crop.shape[:2]), _MAX_ENLARGEMENT)
    if not found:
        # Text too small to be found at all (a thumbnail-sized screenshot): search it once
        # more, as enlarged as a small line is.
        return models.detector.detect(crop, most) if most >= _MIN_ENLARGEMENT * scale else found
    # A column of small figures found as one tall box is no line: its height says nothing
    # of the text's (and those boxes are what an enlarged search reads apart).
    across = [line for line in found if line.box[3] - line.box[1] <= _TALL_BOX * (line.box[2] - line.box[0])]
    height = float(np.median([line.box[3] - line.box[1] for line in across or found]))
    larger = min(_READ_LINE_HEIGHT / max(height, 1.0), most)
    if larger < _MIN_ENLARGEMENT * scale:
        return found
    return models.detector.detect(crop, larger)


def _reading_order(lines: list) -> list:
    """Text lines top to bottom, and left to right within a row (lines that overlap
    vertically by more than half the lower one's height)."""
    rows: list[list] = []
    for line in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        if rows:
            last = rows[-1][-1].box
            overlap = min(last[3], line.box[3]) - max(last[1], line.box[1])
            if overlap > 0.5 * min(last[3] - last[1], line.box[3] - line.box[1]):
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda l: l.box[0])]


def _next_line(layout: PageLayout) -> int:
    return max((w.line for w in layout.words), default=-1) + 1


def _read_box(box: Box, points_per_pixel: float, width: float, height: float) -> Box:
    """The part of the image read for a region (pixels): the region grown by the margin,
    and by the headroom above it."""
    grown = _grow(box, _REGION_MARGIN / points_per_pixel, width, height)
    return (grown[0], max(0.0, box[1] - _REGION_HEADROOM / points_per_pixel), grown[2], grown[3])


def _grow(box: Box, margin: float, width: float, height: float) -> Box:
    return (
        max(0.0, box[0] - margin),
        max(0.0, box[1] - margin),
        min(float(width), box[2] + margin),
        min(float(height), box[3] + margin),
    )


def _merge(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes joined, so that no text is read twice."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        while True:
            overlapping = [m for m in merged if intersection(m, box) > 0]
            if not overlapping:
                break
            for m in overlapping:
                merged.remove(m)
                box = (min(box[0], m[0]), min(box[1], m[1]), max(box[2], m[2]), max(box[3], m[3]))
        merged.append(box)
    return merged

