"""Instructors' custom checks written in pytest, run inside the sandbox."""
