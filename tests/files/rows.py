"""Project file rows for pages that only read them (no bytes in storage): Today, the digest, the dossier."""

import hashlib
import itertools

from files.models import ProjectFile

_numbers = itertools.count(1)


def project_file(project, name: str, *, side: str = ProjectFile.Side.CLIENT, created_at, **fields) -> ProjectFile:
    number = next(_numbers)
    return ProjectFile.objects.create(
        studio_id=project.studio_id,
        project=project,
        side=side,
        name=name,
        storage_name=f"test/{number}/{name}",
        size=1000 + number,
        content_type="image/png",
        sha256=hashlib.sha256(f"{number}".encode()).hexdigest(),
        created_at=created_at,
        seen_at=fields.pop("seen_at", created_at if side == ProjectFile.Side.STUDIO else None),
        **fields,
    )
