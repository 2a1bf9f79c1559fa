"""Where a page's tables are: the layout model's regions checked and completed with ruling lines and aligned words, and each table's extent."""
