"""Batch grading: a class's submissions in parallel, resumable, sharded, summarised."""
