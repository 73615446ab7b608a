"""Seeing Barnraise run: structured logs with a request id that follows the work, and
Prometheus metrics behind a bearer token (docs/deployment.md, "Seeing it run")."""
