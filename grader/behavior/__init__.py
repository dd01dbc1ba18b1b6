"""Sandboxed behavior run: import the student's app in a child process and measure it."""
