"""Files under MEDIA_ROOT that no row refers to any more (`manage.py prune_media`).

Trygg removes a run's rasters, a photo's files and an import's upload when their rows go. What
is left over came another way: a worker killed in the middle of an import (its upload stays), a
photo or a finding deleted in the admin or with its walk or area (the files stay), rasters of
runs deleted before runs took their files with them. Nothing else would ever remove them.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from layers.models import AnalysisRun, ImportJob
from walks.models import Photo


@dataclass(frozen=True)
class Orphan:
    path: Path  # a file, or a folder of one run's rasters or one upload
    size: int


def media_orphans(*, older_than_s: float) -> list[Orphan]:
    """What may go. An upload or a photo is written before its row commits, so only files older
    than `older_than_s` count; a run's folder is made while its row exists, so any without its
    run counts."""
    media = Path(settings.MEDIA_ROOT)
    before = time.time() - older_than_s
    runs = {str(pk) for pk in AnalysisRun.objects.values_list("pk", flat=True)}
    stored = ImportJob.objects.exclude(stored_path="").values_list("stored_path", flat=True)
    uploads = {Path(path).parts[1] for path in stored if len(Path(path).parts) > 2}
    photos = {
        name for pair in Photo.objects.values_list("image", "thumbnail") for name in pair if name
    }
    found = [_folder(p) for p in _folders(media / "analyses") if p.name not in runs]
    found += [
        _folder(p)
        for p in _folders(media / "imports")
        if p.name not in uploads and p.stat().st_mtime < before
    ]
    found += [
        Orphan(p, p.stat().st_size)
        for p in sorted((media / "photos").rglob("*"))
        if p.is_file()
        and not p.is_symlink()
        and p.relative_to(media).as_posix() not in photos
        and p.stat().st_mtime < before
    ]
    return found


def media_prune(orphans: list[Orphan]) -> None:
    for orphan in orphans:
        if orphan.path.is_dir():
            shutil.rmtree(orphan.path, ignore_errors=True)
        else:
            orphan.path.unlink(missing_ok=True)


def _folders(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink())


def _folder(path: Path) -> Orphan:
    return Orphan(path, sum(f.stat().st_size for f in path.rglob("*") if f.is_file()))
