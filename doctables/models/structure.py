"""Table structure recognition with SLANet-plus: HTML structure tokens plus one box per cell."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from doctables.geometry import Box
from doctables.models.image import resize_filtered, to_model_tensor
from doctables.models.runtime import TensorModel

_SIDE = 488  # the model's square input
_CELL_TOKENS = frozenset({"<td>", "<td", "<td></td>"})
_START, _END = "sos", "eos"


@dataclass(frozen=True)
class StructureResult:
    """Decoded model output for one table crop."""

    tokens: list[str]  # HTML structure tokens, e.g. '<tr>', '<td', ' colspan="2"', '>', '</td>'
    cell_boxes: list[Box]  # one per cell-start token, in pixels of the crop
    cell_scores: list[float]  # the probability of each cell-start token
    score: float  # mean token probability


class StructureRecognizer:
    """Runs the structure model on a table crop and decodes its token sequence."""

    def __init__(self, model: TensorModel) -> None:
        vocabulary = list(model.labels)
        # Paddle's decoder merges '<td>' into '<td></td>' and frames the list with sos/eos.
        if "<td></td>" not in vocabulary:
            vocabulary.append("<td></td>")
        if "<td>" in vocabulary:
            vocabulary.remove("<td>")
        self.vocabulary = [_START, *vocabulary, _END]
        self.end_index = len(self.vocabulary) - 1
        self.model = model

    def recognise(self, crop: np.ndarray) -> StructureResult:
        """Structure of an RGB table crop (H x W x 3, uint8)."""
        tensor, ratio = _prepare(crop)
        locations, probabilities = self.model.run(tensor)
        return self._decode(locations[0], probabilities[0], ratio)

    def _decode(self, locations: np.ndarray, probabilities: np.ndarray, ratio: float) -> StructureResult:
        indices = probabilities.argmax(axis=1)
        best = probabilities.max(axis=1)
        tokens: list[str] = []
        boxes: list[Box] = []
        cell_scores: list[float] = []
        kept_scores: list[float] = []
        for step, index in enumerate(indices):
            if index == self.end_index and step > 0:
                break
            if index == 0 or index == self.end_index:
                continue
            token = self.vocabulary[index]
            tokens.append(token)
            kept_scores.append(float(best[step]))
            if token in _CELL_TOKENS:
                # Four corner points, normalised to the padded square input.
                points = locations[step].reshape(4, 2) * (_SIDE / ratio)
                boxes.append(
                    (
                        float(points[:, 0].min()),
                        float(points[:, 1].min()),
                        float(points[:, 0].max()),
                        float(points[:, 1].max()),
                    )
                )
                cell_scores.append(float(best[step]))
        score = float(np.mean(kept_scores)) if kept_scores else 0.0
        return StructureResult(tokens=tokens, cell_boxes=boxes, cell_scores=cell_scores, score=score)


def _prepare(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale the longest side to 488, normalise, pad bottom/right to a 488 square."""
    height, width = crop.shape[:2]
    ratio = _SIDE / max(height, width)
    new_w, new_h = max(1, int(width * ratio)), max(1, int(height * ratio))
    resized = resize_filtered(crop, new_w, new_h)  # a channel at a time: a table crop may be most of the page
    tensor = to_model_tensor(resized, bgr=True)
    padded = np.zeros((1, 3, _SIDE, _SIDE), dtype=np.float32)
    padded[:, :, :new_h, :new_w] = tensor
    return padded, ratio
