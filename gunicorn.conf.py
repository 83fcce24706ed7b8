"""Gunicorn settings for the Docker image: the access log with secret URL segments masked (kernel/logmask.py)."""

logger_class = "kernel.logmask.GunicornLogger"
