"""Open an uploaded document with PyMuPDF, validate it, and render its pages with their text."""

from __future__ import annotations

import math
import struct
import unicodedata
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pymupdf

from doctables.convert.sniff import DocumentType, sniff
from doctables.errors import DocumentError, ErrorCode
from doctables.geometry import Box
from doctables.model.layout import PageLayout, Rule, Word
from doctables.settings import Settings

# A drawn rectangle thinner than this (points) is a line, not a box.
_LINE_THICKNESS = 2.5
# Shorter segments are glyph parts or tick marks, not table rules.
_MIN_RULE_LENGTH = 4.0
# A filled box's edge is a line where the colour a few pixels to either side differs by at
# least this much (0-255, the largest channel) along most of it.
_EDGE_PROBE = 2.0
_EDGE_SAMPLES = 48
_EDGE_CONTRAST = 10
# A segment whose ends differ by more than this (points) both across and down is slanted.
_SLANT = 1.0
# Letters of one word further apart than this (letter heights) belong to two cells.
_GLUED_GAP = 1.0
_WIDEST_LETTER = 0.9
# A text line running further than this (degrees) off the page's axes is a watermark or a
# stamp set across the page (those stand at 30-60 degrees); text of a table, rotated or not,
# runs along an axis, and a text layer OCR'd from a skewed scan stays within a few degrees.
_SLANTED_TEXT = 20.0
# Drawn shapes recorded per page, at most (a map can have tens of thousands).
_MAX_GRAPHICS = 2000

# Latin typographic ligatures (U+FB00-FB06: ff, fi, fl, ffi, ffl, long s t, st) written as
# their letters: a cell reads "financial", not "\ufb01nancial". Text layers keep them as
# single characters; they are never what a user searches for or exports.
_LIGATURES = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


@dataclass
class RenderedPage:
    """One page ready to store: its PNG bytes and its layout."""

    layout: PageLayout
    png: bytes


def open_document(data: bytes, settings: Settings) -> pymupdf.Document:
    """Open `data` as a document, raising DocumentError with a precise code if it cannot be used."""
    if not data:
        raise DocumentError(ErrorCode.EMPTY_OBJECT, "the uploaded object is empty (0 bytes)")
    if len(data) > settings.max_bytes:
        raise DocumentError(
            ErrorCode.TOO_LARGE,
            f"the object has {len(data)} bytes, over the limit of {settings.max_bytes}",
        )
    kind = sniff(data[:2048])
    if kind is None:
        raise DocumentError(
            ErrorCode.NOT_A_DOCUMENT, "the content is not a PDF, PNG, JPEG or TIFF document"
        )
    frames = _check_tiff_frames(data, settings) if kind is DocumentType.TIFF else None
    try:
        document = pymupdf.open(stream=data, filetype=kind.value)
    except Exception as exc:  # PyMuPDF raises several types for damaged files
        raise DocumentError(
            ErrorCode.CORRUPT_DOCUMENT, f"the {kind.name} cannot be read: {exc}"
        ) from exc
    if document.needs_pass:
        document.close()
        raise DocumentError(
            ErrorCode.PASSWORD_PROTECTED, "the PDF is encrypted and needs a password to open"
        )
    _check_pages(document, kind, frames, settings)
    return document


def _check_tiff_frames(data: bytes, settings: Settings) -> list[tuple[int, int]]:
    """A TIFF's frame sizes, within the frame budget (DOCTABLES_MAX_PAGES: a frame is a page)
    and the pixel budget per frame, read from its directories before MuPDF sees it: MuPDF
    counts the frames when it opens a TIFF, in time growing with their square (200,000 frames
    of one pixel, 20 MB: 6.7 s; a million, 100 MB, minutes), and decodes a frame to load it."""
    sizes = _tiff_frame_sizes(data, settings.max_pages + 1)
    if len(sizes) > settings.max_pages:
        raise DocumentError(
            ErrorCode.TOO_MANY_PAGES,
            f"the TIFF has more than {settings.max_pages} frames (pages), over the limit of {settings.max_pages}",
        )
    for index, (width, height) in enumerate(sizes):
        _check_image_pixels(index, width, height, settings)
    return sizes


def _check_pages(
    document: pymupdf.Document, kind: DocumentType, frames: list[tuple[int, int]] | None, settings: Settings
) -> None:
    try:
        count = document.page_count
    except Exception as exc:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"the page tree is damaged: {exc}") from exc
    if count == 0:
        raise DocumentError(ErrorCode.NO_PAGES, f"the {kind.name} has no pages")
    if count > settings.max_pages:
        raise DocumentError(
            ErrorCode.TOO_MANY_PAGES,
            f"the document has {count} pages, over the limit of {settings.max_pages}",
        )
    if frames is not None:  # a TIFF: its frames were measured from their headers, before opening
        if count > len(frames):
            raise DocumentError(
                ErrorCode.CORRUPT_DOCUMENT,
                f"the TIFF cannot be read: {count} pages but only {len(frames)} frame headers",
            )
        return
    for index in range(count):
        page = _load_page(document, index)
        native = _native_pixels(page)
        if native is not None:
            _check_image_pixels(index, *native, settings)
            continue
        width, height = page.rect.width, page.rect.height
        pixels = (width * settings.dpi / 72.0) * (height * settings.dpi / 72.0)
        if pixels > settings.max_page_pixels:
            raise DocumentError(
                ErrorCode.PAGE_TOO_LARGE,
                f"page {index + 1} ({width / 72:.0f} x {height / 72:.0f} in) would render to "
                f"{pixels / 1e6:.0f} megapixels at {settings.dpi} dpi, over the limit of "
                f"{settings.max_page_pixels / 1e6:.0f}",
            )
    # Reading a damaged page can make MuPDF repair the file and lose its page tree.
    if document.page_count == 0:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, "the page tree is damaged: no page is left after repair")


def _check_image_pixels(index: int, width: int, height: int, settings: Settings) -> None:
    """Refuse an image (a decompression bomb) by its real pixels, whatever its DPI says."""
    if width * height > settings.max_page_pixels:
        raise DocumentError(
            ErrorCode.PAGE_TOO_LARGE,
            f"page {index + 1} is an image of {width} x {height} pixels ({width * height / 1e6:.0f} "
            f"megapixels), over the limit of {settings.max_page_pixels / 1e6:.0f}",
        )


def _load_page(document: pymupdf.Document, index: int) -> pymupdf.Page:
    try:
        return document.load_page(index)
    except Exception as exc:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"page {index + 1} cannot be read: {exc}") from exc


def _native_pixels(page: pymupdf.Page) -> tuple[int, int] | None:
    """The pixel size of the image an image document's page is, across and down the page
    (a JPEG's EXIF orientation can turn it), or None for a PDF page. PyMuPDF reads it from
    the image's header: a PNG or JPEG page is not decoded until it is rendered."""
    if page.parent.is_pdf:
        return None
    images = page.get_image_info()
    if len(images) != 1:
        return None
    image = images[0]
    a, b, c, d = image["transform"][:4]
    if abs(b) + abs(c) > abs(a) + abs(d):  # turned a quarter: the image's rows run down the page
        return image["height"], image["width"]
    return image["width"], image["height"]


def _tiff_frame_sizes(data: bytes, limit: int) -> list[tuple[int, int]]:
    """Width and height of a TIFF's frames (at most `limit` of them), read from their
    directories (IFDs) without decoding any pixels."""
    try:
        return _read_tiff_directories(data, limit)
    except (ValueError, struct.error) as exc:
        raise DocumentError(ErrorCode.CORRUPT_DOCUMENT, f"the TIFF cannot be read: {exc}") from exc


_TIFF_WIDTH, _TIFF_LENGTH = 256, 257
_TIFF_SHORT, _TIFF_LONG = 3, 4
# Directory entries read at most per TIFF: real frames have a few dozen, and the width and
# length come early (tags are sorted), so this only stops crafted directories that overlap.
_TIFF_MAX_ENTRIES = 100_000


def _read_tiff_directories(data: bytes, limit: int) -> list[tuple[int, int]]:
    """The (ImageWidth, ImageLength) of each directory in the chain, at most `limit`."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None:
        raise ValueError("no byte order mark")
    (magic,) = struct.unpack_from(order + "H", data, 2)
    if magic != 42:  # 43 is BigTIFF, which MuPDF does not read
        raise ValueError(f"unsupported TIFF version {magic} (BigTIFF is not supported)")
    (offset,) = struct.unpack_from(order + "I", data, 4)
    sizes: list[tuple[int, int]] = []
    seen: set[int] = set()
    entries_left = [_TIFF_MAX_ENTRIES]
    while offset and len(sizes) < limit:
        try:
            size, offset = _read_tiff_directory(data, order, offset, seen, entries_left, len(sizes) + 1)
        except (ValueError, struct.error):
            if not sizes:
                raise
            # A damaged chain after the first frame: the frames before it are what can be read
            # (MuPDF counting more than these fails the document as corrupt).
            break
        sizes.append(size)
    return sizes


def _read_tiff_directory(
    data: bytes, order: str, offset: int, seen: set[int], entries_left: list[int], number: int
) -> tuple[tuple[int, int], int]:
    """One directory's (ImageWidth, ImageLength) and the offset of the next directory."""
    if offset in seen:
        raise ValueError("the frame directories form a loop")
    seen.add(offset)
    (entries,) = struct.unpack_from(order + "H", data, offset)
    tags: dict[int, int] = {}
    for start in range(offset + 2, offset + 2 + 12 * entries, 12):
        entries_left[0] -= 1
        if entries_left[0] < 0:
            raise ValueError("too many directory entries")
        tag, kind = struct.unpack_from(order + "HH", data, start)
        if tag in (_TIFF_WIDTH, _TIFF_LENGTH) and kind in (_TIFF_SHORT, _TIFF_LONG):
            (tags[tag],) = struct.unpack_from(order + ("H" if kind == _TIFF_SHORT else "I"), data, start + 8)
            if len(tags) == 2:
                break
    if len(tags) < 2:
        raise ValueError(f"frame {number} has no image width or length")
    (following,) = struct.unpack_from(order + "I", data, offset + 2 + 12 * entries)
    return (tags[_TIFF_WIDTH], tags[_TIFF_LENGTH]), following


def render_pages(
    document: pymupdf.Document, first: int, last: int, dpi: int, max_pixels: int = Settings.max_render_pixels
) -> Iterator[RenderedPage]:
    """Render pages `first`..`last` (1-based, inclusive) to PNG with their words and rules."""
    for number in range(first, last + 1):
        yield render_page(document.load_page(number - 1), number, dpi, max_pixels)


def render_page(
    page: pymupdf.Page, number: int, dpi: int, max_pixels: int = Settings.max_render_pixels
) -> RenderedPage:
    """Render one page; words and rules are mapped onto the displayed (rotated) page. A PDF
    page renders at `dpi`, a page image at its own pixels (its DPI metadata only sizes the
    page in points); either is scaled down to at most `max_pixels`."""
    zoom = _render_zoom(page, dpi, max_pixels)
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace=pymupdf.csRGB)
    effective_dpi = round(72.0 * zoom)
    pixmap.set_dpi(effective_dpi, effective_dpi)
    image = np.ndarray(
        (pixmap.height, pixmap.width, pixmap.n), np.uint8, pixmap.samples_mv, strides=(pixmap.stride, pixmap.n, 1)
    )
    rules, graphics = extract_drawings(page, image, pixmap.width / page.rect.width if page.rect.width else zoom)
    layout = PageLayout(
        page=number,
        width=page.rect.width,
        height=page.rect.height,
        rotation=page.rotation,
        dpi=effective_dpi,
        image_width=pixmap.width,
        image_height=pixmap.height,
        words=extract_words(page),
        rules=rules,
        graphics=graphics,
    )
    return RenderedPage(layout=layout, png=pixmap.tobytes("png"))


def _render_zoom(page: pymupdf.Page, dpi: int, max_pixels: int) -> float:
    """Pixels per point to render `page` at: `dpi` / 72 for a PDF page; for an image, its own
    pixels (along the axis with more of them per point, should its x and y resolutions
    differ); then shrunk to fit `max_pixels`, never grown."""
    rect = page.rect
    native = _native_pixels(page)
    if native is None or rect.is_empty:
        zoom = dpi / 72.0
    else:
        zoom = max(native[0] / rect.width, native[1] / rect.height)
    return _zoom_within(rect.width, rect.height, zoom, max_pixels)


def _zoom_within(width: float, height: float, zoom: float, max_pixels: int) -> float:
    """`zoom`, or when a `width` x `height` point page rendered at it has more than
    `max_pixels`, a smaller zoom (same aspect) whose whole-pixel rendering has at most that."""
    columns, rows = width * zoom, height * zoom
    if columns * rows <= max_pixels or width <= 0 or height <= 0:
        return zoom
    shrink = math.sqrt(max_pixels / (columns * rows))
    return min(max(1, math.floor(columns * shrink)) / width, max(1, math.floor(rows * shrink)) / height)


def extract_words(page: pymupdf.Page) -> list[Word]:
    """The text layer's words, boxes mapped through the page's rotation matrix, each with the
    turn that makes its line read left to right on the displayed page. A word whose letters
    stand apart by a wide gap (MuPDF joins the text of two cells when right-to-left text meets
    a number) is split there."""
    to_display = page.rotation_matrix
    textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_WORDS)
    # Word tuples number their block and line as the same text page's rawdict does.
    lines = {
        (b, n): line
        for b, block in enumerate(page.get_text("rawdict", textpage=textpage)["blocks"])
        for n, line in enumerate(block.get("lines", ()))
    }
    turns = {key: _line_turn(line, to_display) for key, line in lines.items()}
    slanted = {key for key, line in lines.items() if _slanted(line)}
    letters: dict[tuple[int, int], list[dict]] = {}
    words: list[Word] = []
    line_ids: dict[tuple[int, int], int] = {}
    for x0, y0, x1, y1, text, block, line, _ in page.get_text("words", textpage=textpage, sort=False):
        key = (block, line)
        if not text.strip() or key in slanted:
            continue
        line_id = line_ids.setdefault(key, len(line_ids))
        pieces = []
        # Only a word wider than its letters could be (a full-width glyph is about 0.9 of a
        # line's height) plus a gap may hold one.
        if x1 - x0 > (_WIDEST_LETTER * len(text) + _GLUED_GAP) * (y1 - y0):
            if key not in letters:
                letters[key] = [c for span in lines.get(key, {}).get("spans", ()) for c in span.get("chars", ())]
            pieces = _split_at_gaps(_letters_of(letters[key], text, (x0, y0, x1, y1)))
        for piece_text, box in pieces or [(text, (x0, y0, x1, y1))]:
            rect = pymupdf.Rect(box) * to_display
            words.append(
                Word(
                    text=piece_text.translate(_LIGATURES),
                    bbox=(rect.x0, rect.y0, rect.x1, rect.y1),
                    line=line_id,
                    turn=turns.get(key, 0),
                )
            )
    return words


def _letters_of(letters: list[dict], text: str, box: tuple[float, float, float, float]) -> list[dict]:
    """The characters of a line that spell `text` inside `box` (empty when none do)."""
    spelled = "".join(c["c"] for c in letters)
    start = spelled.find(text)
    while start >= 0:
        run = letters[start:start + len(text)]
        if all(
            box[0] - 1 <= (c["bbox"][0] + c["bbox"][2]) / 2 <= box[2] + 1
            and box[1] - 1 <= (c["bbox"][1] + c["bbox"][3]) / 2 <= box[3] + 1
            for c in run
        ):
            return run
        start = spelled.find(text, start + 1)
    return []


def _split_at_gaps(run: list[dict]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """A word's letters in pieces where, across the page, a gap wider than a letter's height
    parts them; each piece keeps its letters' order. Empty when there is no such gap (or the
    letters do not run across)."""
    if len(run) < 2:
        return []
    heights = sorted(c["bbox"][3] - c["bbox"][1] for c in run)
    gap = _GLUED_GAP * heights[len(heights) // 2]
    order = sorted(range(len(run)), key=lambda i: run[i]["bbox"][0])
    groups: list[set[int]] = [{order[0]}]
    right = run[order[0]]["bbox"][2]
    for i in order[1:]:
        if run[i]["bbox"][0] - right > gap:
            groups.append(set())
        groups[-1].add(i)
        right = max(right, run[i]["bbox"][2])
    if len(groups) < 2:
        return []
    pieces = []
    for group in groups:
        chars = [run[i] for i in sorted(group)]
        pieces.append((
            "".join(c["c"] for c in chars),
            (
                min(c["bbox"][0] for c in chars),
                min(c["bbox"][1] for c in chars),
                max(c["bbox"][2] for c in chars),
                max(c["bbox"][3] for c in chars),
            ),
        ))
    return pieces


def _slanted(line: dict) -> bool:
    """Whether a text line runs across the page at a slant (a watermark): its words' boxes
    would cover the cells they pass over."""
    if line.get("wmode", 0) == 1:
        return False
    dx, dy = line["dir"]
    angle = abs(math.degrees(math.atan2(dy, dx))) % 90.0
    return min(angle, 90.0 - angle) > _SLANTED_TEXT


def _line_turn(line: dict, to_display: pymupdf.Matrix) -> int:
    """Clockwise quarter turn of the displayed page that makes a text line run left to right.
    Vertical writing (CJK, glyphs upright, lines running down) needs none."""
    if line.get("wmode", 0) == 1:
        return 0
    dx, dy = line["dir"]
    shown = pymupdf.Point(dx, dy) * to_display - pymupdf.Point(0, 0) * to_display
    angle = math.degrees(math.atan2(shown.y, shown.x))  # clockwise on screen, y down
    return round(-angle / 90) % 4 * 90


def extract_drawings(
    page: pymupdf.Page, image: np.ndarray | None = None, scale: float = 1.0
) -> tuple[list[Rule], list[Box]]:
    """The page's rules, horizontal and vertical line segments (table rulings and cell edges),
    and the boxes of its other drawn shapes: paths with curves or slanted lines, the marks of
    charts and diagrams (at most _MAX_GRAPHICS). With the page's rendering (`image`, `scale`
    pixels per point), the edges of filled boxes that show no change of colour (a shading laid
    over another of the same colour) are left out: only a line that can be seen parts cells."""
    to_display = page.rotation_matrix
    rules: list[Rule] = []
    graphics: list[Box] = []
    try:
        drawings = page.get_drawings()
    except Exception:  # a damaged content stream still has text worth using
        return rules, graphics
    for path in drawings:
        if len(graphics) < _MAX_GRAPHICS and _is_graphic(path):
            shown = pymupdf.Rect(path["rect"]) * to_display
            graphics.append((shown.x0, shown.y0, shown.x1, shown.y1))
        filled_only = path.get("type") == "f"
        for item in path["items"]:
            segments = _segments(item)
            check = image is not None and filled_only and len(segments) == 4  # a box's edges
            for x0, y0, x1, y1 in segments:
                rect = pymupdf.Rect(
                    min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
                ) * to_display
                rule = _as_rule(rect)
                if rule is not None and (not check or _visible(rule, image, scale)):
                    rules.append(rule)
    return rules, graphics


def _is_graphic(path: dict) -> bool:
    """A path with a curve, a slanted line or a quad that is no rectangle."""
    for item in path["items"]:
        kind = item[0]
        if kind == "c":
            return True
        if kind == "l":
            p, q = item[1], item[2]
            if abs(p.x - q.x) > _SLANT and abs(p.y - q.y) > _SLANT:
                return True
        if kind == "qu" and not item[1].is_rectangular:
            return True
    return False


def _visible(rule: Rule, image: np.ndarray, scale: float) -> bool:
    """Whether the colour changes across a rule on the rendered page: compared a little to
    either side, at points along it, the middle difference (text over a few points of it
    does not count)."""
    if rule.horizontal:
        plane, across, start, stop = image, rule.y0, rule.x0, rule.x1
    else:  # a vertical rule is a horizontal one of the transposed image
        plane, across, start, stop = image.transpose(1, 0, 2), rule.x0, rule.y0, rule.y1
    rows, columns = plane.shape[:2]
    off = _EDGE_PROBE
    before, after = round(across * scale - off), round(across * scale + off)
    if before < 0 or after >= rows:
        return True
    along = np.linspace(start * scale + off, stop * scale - off, num=_EDGE_SAMPLES).round().astype(int)
    along = along[(along >= 0) & (along < columns)]
    if along.size == 0:
        return True
    change = np.abs(plane[before, along].astype(np.int16) - plane[after, along].astype(np.int16)).max(axis=1)
    return float(np.median(change)) >= _EDGE_CONTRAST


def _segments(item: tuple) -> list[tuple[float, float, float, float]]:
    kind = item[0]
    if kind == "l":
        p, q = item[1], item[2]
        return [(p.x, p.y, q.x, q.y)]
    if kind == "re":
        r = item[1]
        if r.width <= _LINE_THICKNESS or r.height <= _LINE_THICKNESS:
            return [(r.x0, r.y0, r.x1, r.y1)]
        return [
            (r.x0, r.y0, r.x1, r.y0),
            (r.x0, r.y1, r.x1, r.y1),
            (r.x0, r.y0, r.x0, r.y1),
            (r.x1, r.y0, r.x1, r.y1),
        ]
    if kind == "qu":
        quad = item[1]
        if quad.is_rectangular:
            return _segments(("re", quad.rect))
    return []


def _as_rule(rect: pymupdf.Rect) -> Rule | None:
    """A segment's bounding rect as a rule, or None when it is neither horizontal nor vertical."""
    if rect.width >= _MIN_RULE_LENGTH and rect.height <= _LINE_THICKNESS:
        y = (rect.y0 + rect.y1) / 2
        return Rule(rect.x0, y, rect.x1, y)
    if rect.height >= _MIN_RULE_LENGTH and rect.width <= _LINE_THICKNESS:
        x = (rect.x0 + rect.x1) / 2
        return Rule(x, rect.y0, x, rect.y1)
    return None
