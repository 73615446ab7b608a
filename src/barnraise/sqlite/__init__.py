"""Barnraise's SQLite backend: Django's, with the process's writers taking turns in a queue."""
