"""Upload service: a FastAPI app split into routes and a background worker."""
