"""Every image fed to a model has a cap on its longest side, and a page-sized image goes into
a model's input a channel at a time (issue 15, finding 2: memory and time bounded per page by
design).

The layout model and the structure model take a fixed input (800 x 608, a 488 square); text
detection takes at most `DETECTION_MAX_SIDE` pixels on the longer side whatever scale it is
asked for; text recognition a line 48 pixels high and at most `REC_MAX_RATIO` times as wide.
The models here are stand-ins that record the tensors they are given."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from doctables.models import image as model_image
from doctables.models.detection import TableDetector
from doctables.models.structure import StructureRecognizer
from doctables.recognise import ocr_models
from doctables.recognise.ocr_models import DETECTION_MAX_SIDE, REC_MAX_RATIO, TextDetector, TextRecognizer


class _Recording:
    """A model that records each input tensor's shape and answers with `answer(tensor)`."""

    def __init__(self, labels, answer) -> None:
        self.labels = labels
        self.spec = None
        self.answer = answer
        self.shapes: list[tuple[int, ...]] = []

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        self.shapes.append(tensor.shape)
        return self.answer(tensor)


def _text_detector() -> tuple[TextDetector, _Recording]:
    model = _Recording([], lambda t: [np.zeros((1, 1, *t.shape[2:]), np.float32)])
    return TextDetector(model), model


def _text_recognizer() -> tuple[TextRecognizer, _Recording]:
    labels = ["1", "a"]  # blank, the two, space: 4 classes
    model = _Recording(labels, lambda t: [np.full((1, t.shape[3] // 8, 4), 0.25, np.float32)])
    return TextRecognizer(model), model


def _page(height: int, width: int, colour: bool = True) -> np.ndarray:
    rng = np.random.default_rng(1)
    grey = rng.integers(180, 256, (height, width), dtype=np.uint8)
    page = np.repeat(grey[..., None], 3, axis=2)
    if colour:
        page[: height // 3, :, 2] //= 2
    return page


@pytest.mark.parametrize("scale", [1.0, 0.9, 3.0])
@pytest.mark.parametrize("size", [(2600, 1900), (1200, 4100)])
def test_text_detection_input_is_capped_on_its_longer_side(size, scale):
    detector, model = _text_detector()
    detector.detect(_page(*size), scale)
    (shape,) = model.shapes
    # padded up to a multiple of 32, as the network needs
    assert max(shape[2:]) <= DETECTION_MAX_SIDE + 31
    assert max(shape[2:]) >= DETECTION_MAX_SIDE  # shrunk to the cap, not further


def test_text_detection_boxes_stay_in_the_pixels_of_the_image_given():
    detector, model = _text_detector()
    page = np.full((3000, 2000, 3), 255, np.uint8)
    page[1000:1040, 400:1600] = 0
    model.answer = lambda t: [_ink_map(t)]
    (line,) = detector.detect(page)
    assert line.box[0] < 400 < line.box[2] and line.box[1] < 1000 and line.box[3] > 1040
    assert line.box[2] < 1700 and line.box[3] < 1100


def _ink_map(tensor: np.ndarray) -> np.ndarray:
    """A probability map that is 0.9 where the input is dark."""
    return (tensor[:, :1] < 0).astype(np.float32) * 0.9


def test_a_small_region_is_still_enlarged_as_asked():
    detector, model = _text_detector()
    detector.detect(_page(100, 300), 3.0)
    assert model.shapes[0][2:] == (320, 928)  # 300 x 900, padded to multiples of 32


def test_text_recognition_input_is_capped_in_width():
    recognizer, model = _text_recognizer()
    lines = [_page(20, 20 * 40), _page(4, 4400), _page(30, 30 * (REC_MAX_RATIO + 1))]
    recognizer.recognise(lines)
    widths = [shape[3] for shape in model.shapes]
    assert widths[0] == 48 * 40  # a line within the cap is read as it is
    assert widths[1] == widths[2] == 48 * REC_MAX_RATIO  # longer ones squeezed to it
    recognizer.recognise_apart([_page(4, 4400)])
    assert model.shapes[-1][3] <= 48 * REC_MAX_RATIO + 2 * ocr_models._STRIP_GAP


def test_layout_and_structure_models_take_their_fixed_input_from_any_page():
    table = ["table", "figure", "text"]
    levels = 4
    layout_model = _Recording(table, lambda t: [np.zeros((1, 10, 3), np.float32)] * levels
                              + [np.zeros((1, 10, 32), np.float32)] * levels)
    TableDetector(layout_model).detect_regions(_page(3000, 2200), table, 0.5, pooled=True)
    assert layout_model.shapes == [(1, 3, 800, 608)] * 2

    vocabulary = ["<tr>", "</tr>", "<td></td>"]

    def stop_at_once(tensor):
        probabilities = np.zeros((1, 3, len(vocabulary) + 2), np.float32)
        probabilities[0, :, -1] = 1.0  # the end token
        return [np.zeros((1, 3, 8), np.float32), probabilities]

    structure_model = _Recording(vocabulary, stop_at_once)
    StructureRecognizer(structure_model).recognise(_page(2500, 3900))
    assert structure_model.shapes == [(1, 3, 488, 488)]


def test_a_page_sized_image_goes_into_a_model_input_a_channel_at_a_time(monkeypatch, pillow_bytes_held):
    """Pillow holds an RGB image at four bytes a pixel: the layout model's two views of a
    25-megapixel page took 100 MB each, a whole-page table crop as much for the structure
    model, a page-sized region as much for text detection. A channel is one byte a pixel."""
    held = pillow_bytes_held
    page = _page(1500, 1100)
    pixels = page.shape[0] * page.shape[1]
    labels = ["table"]
    layout_model = _Recording(labels, lambda t: [np.zeros((1, 10, 1), np.float32)] * 4
                              + [np.zeros((1, 10, 32), np.float32)] * 4)
    TableDetector(layout_model).detect_regions(page, labels, 0.5, pooled=True)
    structure_model = _Recording(["<td></td>"], lambda t: [np.zeros((1, 1, 8), np.float32),
                                                           np.eye(1, 3, 2, dtype=np.float32)[None]])
    StructureRecognizer(structure_model).recognise(page)
    detector, _ = _text_detector()
    detector.detect(page, 0.8)
    assert held and max(held) <= 1.0 * pixels, f"Pillow held {max(held) / pixels:.1f} bytes a pixel"


def test_a_model_input_made_a_channel_at_a_time_is_the_rgb_images():
    """The same pixels and the same floats as made from the whole RGB image at once."""
    rng = np.random.default_rng(4)
    page = rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)
    whole = Image.fromarray(page)
    sampled = whole.transform((61, 45), Image.AFFINE, (131 / 61, 0, 0, 0, 97 / 45, 0), resample=Image.BICUBIC)
    assert np.array_equal(model_image.resize_rgb(page, 61, 45, cubic=True), np.asarray(sampled))
    for size in ((61, 45), (200, 150)):
        expected = np.asarray(whole.resize(size, Image.BILINEAR))
        assert np.array_equal(model_image.resize_filtered(page, *size), expected)
    floats = page[..., ::-1].astype(np.float32) * (2.0 / 255.0) - 1.0
    assert np.array_equal(ocr_models._tensor(page), np.ascontiguousarray(floats.transpose(2, 0, 1)[None]))
