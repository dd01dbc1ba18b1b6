"""Runs inside the sandboxed child: finds the app, drives it over ASGI, measures."""
