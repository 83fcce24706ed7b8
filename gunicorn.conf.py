"""Gunicorn settings for the Docker image: the access log with secret URL segments masked (crm/logmask.py)."""

logger_class = "kernel.logmask.GunicornLogger"
