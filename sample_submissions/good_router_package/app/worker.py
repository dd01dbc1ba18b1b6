"""Background work: runs after the response has been sent."""

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)

UPLOAD_DIR = Path("uploads")


def process_file(path: Path) -> None:
    """Write ``<name>.processed.txt`` with the size and line count of the saved upload."""
    try:
        time.sleep(0.3)  # stands in for slow work (parsing, thumbnails, virus scan)
        data = path.read_bytes()
        lines = data.count(b"\n")
        report = path.with_name(path.name + ".processed.txt")
        report.write_text(f"{len(data)} bytes, {lines} lines\n", encoding="utf-8")
        logger.info("processed %s", path)
    except OSError:
        logger.exception("processing %s failed", path)
