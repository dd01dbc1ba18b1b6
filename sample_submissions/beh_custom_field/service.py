"""Document service: the app is called `api`, the upload field `document`, under /files."""
from fastapi import FastAPI

from routers.documents import router

api = FastAPI(title="Document service")
api.include_router(router, prefix="/files")
