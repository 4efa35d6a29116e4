"""Cost reports: charts, a self-contained HTML page and PNG files from cost records."""
