"""The pipeline on this machine: the moto stack, `doctables run`, `doctables serve` and the review page."""
