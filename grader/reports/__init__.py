"""Report writers: one module per format, each ``render(report) -> str``."""
