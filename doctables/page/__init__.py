"""One page in, its tables out: the text-layer/OCR decision, then detection, structure and grid for each table (the table stage's domain code)."""
