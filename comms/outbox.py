"""The outbox: every outgoing email is a row; a worker claims due rows and sends them through anymail."""
