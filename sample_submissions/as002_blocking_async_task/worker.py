"""The background processing step."""

import hashlib
import logging
import time
from pathlib import Path

logger = logging.getLogger("uploads")


async def process(path: str) -> None:
    """Declared async, so Starlette awaits it on the event loop: time.sleep freezes the server."""
    try:
        time.sleep(0.3)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        Path(f"{path}.processed").write_text(digest + "\n")
        logger.info("processed %s", path)
    except OSError:
        logger.exception("processing %s failed", path)
