"""Where project files' bytes live: the ``files`` entry of ``STORAGES`` (local under var/, or S3).

Locally (``FileSystemStorage`` without a base URL) the bytes have no address at all: the app reads
and streams them. In an S3-compatible store (``PrivateS3Storage``, set up by
``RAPPORT_FILES_S3_BUCKET``) objects are private and the app hands out presigned URLs that live for
minutes (``files.downloads``).
"""

from __future__ import annotations

import secrets
import threading

from django.core.files.storage import Storage, storages
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


def file_storage() -> Storage:
    return storages["files"]


def storage_name(*, studio_id: int, project_id: int, name: str) -> str:
    """A key nobody can guess or collide with; the safe name stays at the end for the stores' own listings."""
    return f"studios/{studio_id}/projects/{project_id}/{secrets.token_urlsafe(16)}/{name}"


def signs_urls(storage: Storage) -> bool:
    """True for a store that hands out presigned URLs (S3 with querystring auth): downloads redirect there."""
    return isinstance(storage, S3Storage) and bool(storage.querystring_auth) and not storage.custom_domain


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend, able to sign URLs for an address other than the one the app uses.

    In docker-compose the app reaches MinIO at ``http://minio:9000`` while browsers reach it at,
    say, ``https://files.example.com``; a presigned URL's signature covers the host, so it must be
    made for the browsers' address (``public_endpoint_url``). Signing needs no network.
    """

    def __init__(self, **settings):
        super().__init__(**settings)
        self._signing_clients = threading.local()

    def get_default_settings(self):
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_signing_clients", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._signing_clients = threading.local()

    def _signing_client(self):
        client = getattr(self._signing_clients, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
            self._signing_clients.client = client
        return client

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.public_endpoint_url or not self.querystring_auth:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self._signing_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )
