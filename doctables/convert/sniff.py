"""Detect a document's type from its first bytes, not from its name."""

from __future__ import annotations

from enum import Enum


class DocumentType(str, Enum):
    """The input formats doctables accepts; the value is PyMuPDF's filetype name."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"


_SIGNATURES: tuple[tuple[bytes, DocumentType], ...] = (
    (b"\x89PNG\r\n\x1a\n", DocumentType.PNG),
    (b"\xff\xd8\xff", DocumentType.JPEG),
    (b"II*\x00", DocumentType.TIFF),
    (b"MM\x00*", DocumentType.TIFF),
    (b"II+\x00", DocumentType.TIFF),  # BigTIFF
    (b"MM\x00+", DocumentType.TIFF),
)

# The PDF header may be preceded by junk; readers accept it within the first KiB.
_PDF_HEADER_WINDOW = 1024


def sniff(head: bytes) -> DocumentType | None:
    """Return the type whose signature `head` (the object's first bytes) carries, or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return DocumentType.PDF
    return None
