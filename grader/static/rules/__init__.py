"""One static rule per module (``bg001_...py``). The registry imports them all."""
