"""The table's frame (doctables.grid.frame) and the entry points that build it
(doctables.grid.refine): the pieces as arguments or the frame give the same axes."""

from __future__ import annotations

import dataclasses

import pytest
from geometry_builders import SIZE, figures_table

from doctables.grid import refine
from doctables.grid.columns import find_columns
from doctables.grid.frame import TableFrame
from doctables.grid.rows import find_rows

BOX = (95, 98, 360, 180)


def test_the_frame_is_frozen_and_its_body_is_all_lines_unless_given():
    words = figures_table()
    bands = refine.text_bands(words, SIZE)
    frame = TableFrame(words=words, bands=bands, box=BOX, unit=SIZE)
    assert frame.body_lines is bands
    assert dataclasses.replace(frame, body=bands[1:]).body_lines == bands[1:]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.unit = 12.0  # type: ignore[misc]


def test_refine_with_pieces_is_find_with_the_frame():
    words = figures_table()
    bands = refine.text_bands(words, SIZE)
    body = bands[1:]
    cols = refine.refine_columns([95, 190, 250, 310, 360], words, bands, body, [], BOX, SIZE)
    frame = TableFrame(words=words, bands=bands, box=BOX, unit=SIZE, body=body,
                       model_columns=[95, 190, 250, 310, 360], header_bottom=112)
    assert find_columns(frame) == cols
    rows = refine.refine_rows([98, 112, 180], words, bands, [], BOX, cols.edges, 112, SIZE)
    found = find_rows(dataclasses.replace(frame, model_rows=[98, 112, 180], col_edges=cols.edges))
    assert found == rows
    assert len(rows.edges) == 7  # a heading and five records, whatever the model drew
