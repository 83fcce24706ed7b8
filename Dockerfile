# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Translations compile with Babel (no gettext in the image); collectstatic needs settings to
# import, and these throwaway values never reach a running container.
RUN python -m kernel.i18n --all \
    && DEBUG=0 SECRET_KEY=collectstatic-only SITE_URL=http://collectstatic.invalid python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 rapport && mkdir -p /app/var && chown -R rapport /app/var
USER rapport

EXPOSE 8000
CMD ["gunicorn", "crm.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
