"""Scoring: load a rubric, turn findings and behavior verdicts into a scored report."""
