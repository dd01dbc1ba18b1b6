"""Crashes the whole process with SIGSEGV at import (a C extension gone wrong)."""
import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
