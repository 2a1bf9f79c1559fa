"""The result as data: tables and cells, the page layout a stage hands to the next, the result document. No I/O."""
