"""Terminal output choices shared by the commands."""

from __future__ import annotations

import os


def color_wanted() -> bool:
    """Styles are written unless NO_COLOR is set (no-color.org); click.echo strips them
    when the output is not a terminal."""
    return not os.environ.get("NO_COLOR")
