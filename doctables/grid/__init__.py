"""From the structure model's cells, the words and the rules to a table's final grid: columns, rows, spans, and the HTML tokens read as cells."""
