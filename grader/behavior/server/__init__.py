"""Real-server mode: the same checks against the app served by uvicorn."""
