"""Process isolation: a private temp copy, limits, a warm fork server, the result pipe."""
