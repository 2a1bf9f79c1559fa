"""Text on page images: whether the text layer can be used, turning a page upright, PP-OCR text detection and recognition."""
