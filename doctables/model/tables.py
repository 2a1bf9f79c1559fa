"""The result data model: tables with their cells, as stored, exported and announced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from doctables.geometry import Box, normalise, rounded
from doctables.model import formats


@dataclass(frozen=True)
class CellWord:
    """A word inside a cell: its text, box (points) and recognition confidence (0..1)."""

    text: str
    bbox: Box
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "bbox": rounded(self.bbox), "confidence": round(self.confidence, 4)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default_confidence: float = 1.0) -> "CellWord":
        """A word as stored; one without its own confidence (older results) has its cell's."""
        return cls(str(data["text"]), tuple(float(v) for v in data["bbox"]),  # type: ignore[arg-type]
                   float(data.get("confidence", default_confidence)))


@dataclass
class Cell:
    """One cell of a table's grid; a merged cell is one Cell with spans > 1."""

    row: int  # 0-based
    col: int
    row_span: int
    col_span: int
    text: str
    bbox: Box  # points on the displayed page, top-left origin
    confidence: float  # 0..1
    is_header: bool = False
    words: list[CellWord] = field(default_factory=list)  # the text layer's words in reading order

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "col": self.col,
            "row_span": self.row_span,
            "col_span": self.col_span,
            "text": self.text,
            "bbox": rounded(self.bbox),
            "confidence": round(self.confidence, 4),
            "is_header": self.is_header,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Cell":
        confidence = float(data.get("confidence", 1.0))
        return cls(
            row=int(data["row"]),
            col=int(data["col"]),
            row_span=int(data["row_span"]),
            col_span=int(data["col_span"]),
            text=str(data["text"]),
            bbox=tuple(float(v) for v in data["bbox"]),  # type: ignore[arg-type]
            confidence=confidence,
            is_header=bool(data.get("is_header", False)),
            words=[CellWord.from_dict(w, confidence) for w in data.get("words") or []],
        )


@dataclass
class Table:
    """A table found on one page."""

    table_id: str  # "<page:04d>-<index:02d>", unique within a job
    page: int  # 1-based
    bbox: Box  # points on the displayed page
    page_width: float
    page_height: float
    rows: int
    columns: int
    confidence: float  # detection score, 0..1
    structure_confidence: float  # mean structure token probability, 0..1
    cells: list[Cell] = field(default_factory=list)
    # `bbox_norm` as a stored table gave it: there it was normalised from the box before the box
    # was rounded, so recomputing it from the rounded box could change its fifth decimal; a
    # table read back writes what it read. None for a table made here (then it is computed).
    stored_bbox_norm: Box | None = field(default=None, compare=False, repr=False)

    @property
    def bbox_norm(self) -> Box:
        if self.stored_bbox_norm is not None:
            return self.stored_bbox_norm
        return normalise(self.bbox, self.page_width, self.page_height)

    @property
    def header_rows(self) -> int:
        header = [c.row + c.row_span for c in self.cells if c.is_header]
        return max(header) if header else 0

    def grid(self) -> list[list[str]]:
        """Rows of cell texts; a merged cell's text sits at its top-left position, the
        positions it covers hold empty strings."""
        grid = [["" for _ in range(self.columns)] for _ in range(self.rows)]
        for cell in self.cells:
            grid[cell.row][cell.col] = cell.text
        return grid

    def to_pandas(self, *, fill_merged: bool = False) -> Any:
        """A pandas DataFrame; header rows become the column labels."""
        return formats.to_pandas(self, fill_merged=fill_merged)

    def to_csv(self, *, fill_merged: bool = False, escape_formulas: bool = True) -> str:
        """RFC 4180 CSV, header rows first; a merged cell's text at its top-left position;
        formulas neutralised unless `escape_formulas=False` (see `exports.to_csv`)."""
        return formats.to_csv(self, fill_merged=fill_merged, escape_formulas=escape_formulas)

    def to_markdown(self) -> str:
        """A GitHub pipe table."""
        return formats.to_markdown(self)

    def to_html(self) -> str:
        """An HTML table with rowspan/colspan and escaped text."""
        return formats.to_html(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table_id": self.table_id,
            "page": self.page,
            "bbox": rounded(self.bbox),
            "bbox_norm": rounded(self.bbox_norm, 5),
            "page_width": round(self.page_width, 2),
            "page_height": round(self.page_height, 2),
            "rows": self.rows,
            "columns": self.columns,
            "header_rows": self.header_rows,
            "confidence": round(self.confidence, 4),
            "structure_confidence": round(self.structure_confidence, 4),
            "cells": [cell.to_dict() for cell in self.cells],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Table":
        """A table as stored. Older or hand-made tables may lack the page size (0: unknown),
        the confidences (1.0; the structure's defaults to the detection's) and `bbox_norm`."""
        confidence = float(data.get("confidence", 1.0))
        norm = data.get("bbox_norm")
        return cls(
            table_id=str(data["table_id"]),
            page=int(data["page"]),
            bbox=tuple(float(v) for v in data["bbox"]),  # type: ignore[arg-type]
            page_width=float(data.get("page_width") or 0.0),
            page_height=float(data.get("page_height") or 0.0),
            rows=int(data["rows"]),
            columns=int(data["columns"]),
            confidence=confidence,
            structure_confidence=float(data.get("structure_confidence", confidence)),
            cells=[Cell.from_dict(c) for c in data.get("cells") or []],
            stored_bbox_norm=tuple(float(v) for v in norm) if norm else None,  # type: ignore[arg-type]
        )
