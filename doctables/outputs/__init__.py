"""Tables and results in the formats users take them in: CSV, XLSX, Markdown, HTML, pandas, Textract JSON; tables continued across pages joined."""
