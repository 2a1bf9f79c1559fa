"""Accuracy benchmark: doctables' whole local pipeline and the baselines (PyMuPDF find_tables,
camelot lattice and stream) over PDFs with ground-truth tables, scored with shared/bench/score.py."""
