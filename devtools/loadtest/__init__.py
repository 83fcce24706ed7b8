"""`make loadtest`: locust against gunicorn, PostgreSQL and Redis on loopback (see run.py)."""
