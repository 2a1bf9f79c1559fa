"""The two PP-OCR ONNX models (text detection and text recognition) with
doctables' own pre- and post-processing, in numpy and Pillow.

Detection (DB, PP-OCRv4 det): the page (BGR, scaled to [-1, 1]) in, a text probability map
of the same size out. The map is binarised at 0.3, dilated by a 2x2 square, cut into
connected components; a component is kept when the mean probability inside its box is at
least 0.5, and its box is grown ("unclipped") by area x 1.6 / perimeter on every side, the
DB paper's offset. Boxes are axis-aligned: pages are turned upright and deskewed first.

Recognition (PP-OCRv6 small rec): each line crop resized to 48 pixels high and run
alone (padded to the training width of 320); CTC greedy decoding (argmax per step, repeats
merged, blanks dropped) over the character list that the model carries in its ONNX
metadata (`character`), framed as Paddle does: index 0 is the CTC blank, the last is space.
Many short crops (a table's lone marks) are read side by side on strips instead, each given
the characters over it (`recognise_apart`).

Which way up a page is comes from the recogniser too (see `doctables.recognise.page_text.detect_rotation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from doctables.geometry import Box
from doctables.models.image import resize_filtered
from doctables.models.runtime import ModelSpec, OnnxModel, load_model, packaged_model
from doctables.recognise.components import label
from doctables.settings import Settings

DEFAULT_DETECTION_MODEL = ("rapidocr_onnxruntime", "models/ch_PP-OCRv4_det_infer.onnx")
# PP-OCRv6 small recognition: 18,708 characters (PP-OCRv4's 6,623 lack o-umlaut, sharp s,
# c-cedilla, the euro and pound signs, the en dash, the check mark), at about the same cost.
DEFAULT_RECOGNITION_MODEL = ("rapidocr", "models/PP-OCRv6_rec_small.onnx")

# DB post-processing, PaddleOCR's defaults (as rapidocr ships them).
_BINARY_THRESHOLD = 0.3
_BOX_THRESHOLD = 0.5
_UNCLIP_RATIO = 1.6
_MIN_SIDE = 3
_MAX_CANDIDATES = 3000
# Text detection sees at most this many pixels on the longer side of its input, whatever scale
# it is asked for (RapidOCR's own cap; PP-OCR's pipeline caps its detection input the same
# way): the input and the network's feature maps grow with the area, and text on a larger
# region is large enough to be found shrunk.
DETECTION_MAX_SIDE = 2000
# Recognition input height and the narrowest input (width / height), as the model was trained.
_REC_HEIGHT = 48
_REC_MIN_RATIO = 320 / 48
# The widest input (width / height): a longer crop is squeezed to it. The recogniser's memory
# and time grow with the input's width (about 1.6 MB and 11 ms a unit of ratio: a crop 4 pixels
# high across a 25-megapixel page, ratio 1,100, would take 1.7 GB and 12 s). The longest line
# read on images-dev and its photo and low-resolution scan copies is 49 times its height.
REC_MAX_RATIO = 100
# A run of this many CTC steps (8 input pixels each) without a character splits a word even
# when the model wrote no space: 5 steps = 40 px at height 48, most of a text line's height.
_WORD_GAP_STEPS = 5
# Short crops read together (`recognise_apart`) stand side by side on a strip this many text
# heights wide at most, this much paper between them: over the word gap, so each stays apart.
_STRIP_RATIO = 20
_STRIP_GAP = 48


@dataclass(frozen=True)
class TextBox:
    """A detected text line in pixels of the image given to the detector."""

    box: Box
    score: float


@dataclass(frozen=True)
class RecognisedWord:
    """One word of a recognised line: x extent in pixels of the line crop, mean char score."""

    text: str
    x0: float
    x1: float
    score: float
    # Where each character was read (crop pixels; one per character of `text`), when known.
    at: tuple[float, ...] = ()


@dataclass(frozen=True)
class RecognisedLine:
    text: str
    score: float
    words: list[RecognisedWord]


def _tensor(image: np.ndarray) -> np.ndarray:
    """RGB uint8 (H x W x 3) -> 1 x 3 x H x W float32 in [-1, 1], BGR as Paddle trained.
    Written plane by plane into the output, with the float32 arithmetic of the whole image at
    once (no float copies of the image beside the tensor)."""
    tensor = np.empty((1, 3, *image.shape[:2]), dtype=np.float32)
    for plane in range(3):
        out = tensor[0, plane]
        out[...] = image[..., 2 - plane]
        out *= np.float32(2.0 / 255.0)
        out -= np.float32(1.0)
    return tensor


def _resize(image: np.ndarray, width: int, height: int, sharp: bool = False) -> np.ndarray:
    """Resize; `sharp` (bicubic) for line crops: bilinear upscaling blurs the small gaps
    between words, and the recognizer then drops the spaces of long lines."""
    if image.shape[1] == width and image.shape[0] == height:
        return image
    method = Image.BICUBIC if sharp else Image.BILINEAR
    return np.asarray(Image.fromarray(image).resize((width, height), method))


class TextDetector:
    """DB text detection: text-line boxes of an RGB image."""

    def __init__(self, model: OnnxModel) -> None:
        self.model = model

    def detect(self, image: np.ndarray, scale: float = 1.0) -> list[TextBox]:
        """Text lines of `image`, which is first resized by `scale`, or less so that its longer
        side is at most DETECTION_MAX_SIDE pixels; boxes in `image`'s pixels."""
        height, width = image.shape[:2]
        scale = min(scale, DETECTION_MAX_SIDE / max(height, width))
        new_w = max(1, round(width * scale))
        new_h = max(1, round(height * scale))
        resized = resize_filtered(image, new_w, new_h)  # a channel at a time: a region may be the page
        # Pad (white) to multiples of 32, as the network needs, rather than stretch.
        pad_w = max(32, math.ceil(new_w / 32) * 32)
        pad_h = max(32, math.ceil(new_h / 32) * 32)
        canvas = np.full((pad_h, pad_w, 3), 255, dtype=np.uint8)
        canvas[:new_h, :new_w] = resized
        probability = self.model.run(_tensor(canvas))[0][0, 0, :new_h, :new_w]
        boxes = boxes_from_map(probability)
        sx, sy = width / new_w, height / new_h
        return [
            TextBox(
                (
                    float(np.clip(b.box[0] * sx, 0, width)),
                    float(np.clip(b.box[1] * sy, 0, height)),
                    float(np.clip(b.box[2] * sx, 0, width)),
                    float(np.clip(b.box[3] * sy, 0, height)),
                ),
                b.score,
            )
            for b in boxes
        ]


def boxes_from_map(
    probability: np.ndarray,
    threshold: float = _BINARY_THRESHOLD,
    box_threshold: float = _BOX_THRESHOLD,
    unclip_ratio: float = _UNCLIP_RATIO,
) -> list[TextBox]:
    """DB post-processing on a probability map: boxes in map pixels (x1, y1 exclusive)."""
    mask = probability > threshold
    dilated = mask.copy()  # a 2x2 square, anchored as OpenCV anchors it
    dilated[1:, :] |= mask[:-1, :]
    dilated[:, 1:] |= mask[:, :-1]
    dilated[1:, 1:] |= mask[:-1, :-1]
    parts = label(dilated)
    if len(parts) == 0:
        return []
    order = np.argsort(-parts.pixels, kind="stable")[:_MAX_CANDIDATES]
    # Mean probability in each component's box, from a summed-area table.
    table = np.zeros((probability.shape[0] + 1, probability.shape[1] + 1), dtype=np.float64)
    table[1:, 1:] = probability.cumsum(0).cumsum(1)
    height, width = probability.shape
    found: list[TextBox] = []
    for i in order:
        x0, y0, x1, y1 = int(parts.x0[i]), int(parts.y0[i]), int(parts.x1[i]), int(parts.y1[i])
        # OpenCV's box runs through pixel centres: its sides are one pixel shorter.
        w, h = x1 - 1 - x0, y1 - 1 - y0
        if min(w, h) < _MIN_SIDE:
            continue
        total = table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]
        score = float(total / ((x1 - x0) * (y1 - y0)))
        if score < box_threshold:
            continue
        grow = w * h * unclip_ratio / (2.0 * (w + h))
        if min(w, h) + 2 * grow < _MIN_SIDE + 2:
            continue
        box = (
            max(0.0, x0 - grow),
            max(0.0, y0 - grow),
            min(float(width), x1 - 1 + grow + 1),
            min(float(height), y1 - 1 + grow + 1),
        )
        found.append(TextBox(box, score))
    found.sort(key=lambda b: (b.box[1], b.box[0]))
    return found


class TextRecognizer:
    """CTC text recognition of line crops."""

    def __init__(self, model: OnnxModel) -> None:
        if not model.labels:
            raise ValueError(f"model {model.spec.path} carries no 'character' list in its metadata")
        self.characters = ["", *model.labels, " "]
        self.model = model

    def recognise(self, crops: list[np.ndarray]) -> list[RecognisedLine]:
        """Text of each RGB line crop, in the order given. Each line runs alone, padded to
        at least the model's training width (320): SVTR mixes the whole line globally, so
        padding a short line to a long neighbour's width changes what it reads (spaces go
        first), and on CPU a batch is no faster than its lines one by one."""
        results: list[RecognisedLine] = []
        for crop in crops:
            width = _input_width(crop)
            input_width = max(width, int(_REC_HEIGHT * _REC_MIN_RATIO))
            tensor = np.zeros((1, 3, _REC_HEIGHT, input_width), dtype=np.float32)
            tensor[0, :, :, :width] = _tensor(_resize(crop, width, _REC_HEIGHT, sharp=True))[0]
            probabilities = self.model.run(tensor)[0]
            step = input_width / probabilities.shape[1]  # input pixels per CTC step
            results.append(self._decode(probabilities[0], step * crop.shape[1] / width))
        return results

    def recognise_apart(self, crops: list[np.ndarray]) -> list[RecognisedLine]:
        """Text of each of many short RGB crops (marks, single words), in the order given:
        they are set side by side on strips of paper, far enough apart that the model reads
        each as a word of its own, and each character goes to the crop it stands over. One
        run reads a strip of a dozen marks where `recognise` would pad each to the
        training width and run it alone."""
        gap = np.full((_REC_HEIGHT, _STRIP_GAP, 3), 255, dtype=np.uint8)
        resized = [_resize(crop, _input_width(crop), _REC_HEIGHT, sharp=True) for crop in crops]
        results: list[RecognisedLine] = []
        start = 0
        while start < len(resized):
            end, width = start + 1, _STRIP_GAP + resized[start].shape[1]
            while end < len(resized) and width + _STRIP_GAP + resized[end].shape[1] <= _STRIP_RATIO * _REC_HEIGHT:
                width += _STRIP_GAP + resized[end].shape[1]
                end += 1
            pieces, spans, x = [gap], [], _STRIP_GAP
            for image in resized[start:end]:
                pieces += [image, gap]
                spans.append((x, x + image.shape[1]))
                x += image.shape[1] + _STRIP_GAP
            strip = np.concatenate(pieces, axis=1)
            input_width = max(strip.shape[1], int(_REC_HEIGHT * _REC_MIN_RATIO))
            tensor = np.zeros((1, 3, _REC_HEIGHT, input_width), dtype=np.float32)
            tensor[0, :, :, : strip.shape[1]] = _tensor(strip)[0]
            probabilities = self.model.run(tensor)[0][0]
            step = input_width / probabilities.shape[0]
            chars, positions, scores = self._characters(probabilities)
            centres = (positions + 0.5) * step
            owner = np.array([_nearest(spans, c) for c in centres], dtype=int)
            for k, (x0, _) in enumerate(spans):
                mine = np.nonzero(owner == k)[0]
                shift = x0 / step  # the crop's first CTC step
                scale = step * crops[start + k].shape[1] / resized[start + k].shape[1]
                results.append(
                    self._line([chars[i] for i in mine], positions[mine] - shift, scores[mine], scale)
                )
            start = end
        return results

    def _characters(self, probabilities: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
        """CTC greedy decoding: the characters, the step each stands at, and its score."""
        indices = probabilities.argmax(axis=1)
        best = probabilities.max(axis=1)
        keep = np.ones(indices.size, dtype=bool)
        keep[1:] = indices[1:] != indices[:-1]
        keep &= indices != 0
        positions = np.nonzero(keep)[0]
        return [self.characters[k] for k in indices[positions]], positions, best[positions]

    def _decode(self, probabilities: np.ndarray, step: float) -> RecognisedLine:
        return self._line(*self._characters(probabilities), step)

    @staticmethod
    def _line(chars: list[str], positions: np.ndarray, scores: np.ndarray, step: float) -> RecognisedLine:
        """The line of decoded characters at `positions` (CTC steps of `step` crop pixels each)."""
        words: list[RecognisedWord] = []
        current: list[int] = []

        def close() -> None:
            if current:
                text = "".join(chars[k] for k in current)
                words.append(
                    RecognisedWord(
                        text=text,
                        x0=float(positions[current[0]] * step),
                        x1=float((positions[current[-1]] + 1) * step),
                        score=float(np.mean(scores[current])),
                        at=tuple(float((positions[k] + 0.5) * step) for k in current),
                    )
                )
                current.clear()

        for k, char in enumerate(chars):
            if char == " " or not char.strip():
                close()
                continue
            if current and positions[k] - positions[current[-1]] > _WORD_GAP_STEPS:
                close()
            current.append(k)
        close()
        text = " ".join(w.text for w in words)
        score = float(np.mean(scores)) if len(scores) else 0.0
        return RecognisedLine(text=text, score=score, words=words)


def _input_width(crop: np.ndarray) -> int:
    """The width a crop is read at, resized to the input height: its own proportions, or
    squeezed to REC_MAX_RATIO."""
    ratio = crop.shape[1] / max(1, crop.shape[0])
    return max(1, math.ceil(_REC_HEIGHT * min(ratio, REC_MAX_RATIO)))


def _nearest(spans: list[tuple[int, int]], x: float) -> int:
    """The index of the span that holds `x`, or the nearest one."""
    return min(range(len(spans)), key=lambda k: max(spans[k][0] - x, x - spans[k][1], 0.0))


@dataclass(frozen=True)
class OcrModels:
    detector: TextDetector
    recognizer: TextRecognizer


def load_ocr_models(settings: Settings) -> OcrModels:
    """Load (or reuse) the OCR models; paths default to the files inside rapidocr's wheels."""
    return _load(
        settings.ocr_detection_model or packaged_model(*DEFAULT_DETECTION_MODEL),
        settings.ocr_recognition_model or packaged_model(*DEFAULT_RECOGNITION_MODEL),
        settings.model_threads,
    )


@lru_cache(maxsize=4)
def _load(detection: str, recognition: str, threads: int) -> OcrModels:
    return OcrModels(
        detector=TextDetector(load_model(ModelSpec(detection, threads))),
        recognizer=TextRecognizer(load_model(ModelSpec(recognition, threads))),
    )
