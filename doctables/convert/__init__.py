"""From an uploaded file to pages: open and validate it (PyMuPDF), render page images, read the text layer and rules. No AWS."""
