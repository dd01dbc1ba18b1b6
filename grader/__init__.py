"""fastapi-grader: grade FastAPI background-file-processing assignments.

Pipeline: discovery -> static analysis -> sandboxed behavior run -> scoring -> reports.
"""

__version__ = "0.1.0"
