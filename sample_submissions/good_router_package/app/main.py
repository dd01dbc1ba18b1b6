"""Application entry point: ``uvicorn app.main:app``."""

import logging

from fastapi import FastAPI

from .routes import router

logging.basicConfig(level=logging.INFO)

app = FastAPI(title="Upload service")
app.include_router(router, prefix="/files")
