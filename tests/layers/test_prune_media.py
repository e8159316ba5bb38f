"""`manage.py prune_media` removes what media/ holds that no row refers to, and nothing else
(docs/operations.md)."""

import os
import time

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from layers.models import ImportJob
from tests.tiles.data import add_observation, add_run, add_walk
from walks.models import Photo

pytestmark = pytest.mark.django_db

TWO_DAYS = 2 * 24 * 3600


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def put(path, *, age_s=TWO_DAYS):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    then = time.time() - age_s
    os.utime(path, (then, then))
    os.utime(path.parent, (then, then))
    return path


@pytest.fixture
def kept_and_orphans(area, media):
    """Files with their rows, and files whose rows are gone (or never were)."""
    run = add_run(area, {})
    job = ImportJob.objects.create(
        area=area,
        kind="crime",
        format="police-uk",
        file_name="a.csv",
        stored_path="imports/aaaa/upload.csv",
    )
    walk = add_walk(area)
    observation = add_observation(walk, Point(13.002, 55.601, srid=4326), "neglect")
    Photo.objects.create(
        observation=observation,
        image="photos/2025/03/kept.jpg",
        thumbnail="photos/2025/03/thumbs/kept.jpg",
        width=1,
        height=1,
        sha256="0" * 64,
    )
    kept = [
        put(media / "analyses" / str(run.pk) / "insecurity.tif"),
        put(media / job.stored_path),
        put(media / "photos/2025/03/kept.jpg"),
        put(media / "photos/2025/03/thumbs/kept.jpg"),
        put(media / "imports/bbbb/upload.csv", age_s=60),  # its job is being created
        put(media / "photos/2025/03/new.jpg", age_s=60),  # its row is being stored
    ]
    orphans = [
        put(media / "analyses" / str(run.pk + 1) / "insecurity.tif"),
        put(media / "imports/cccc/upload.csv"),
        put(media / "photos/2025/03/deleted.jpg"),
        put(media / "photos/2025/03/thumbs/deleted.jpg"),
    ]
    return kept, orphans


def test_files_no_row_refers_to_are_removed_and_the_others_kept(kept_and_orphans, capsys):
    kept, orphans = kept_and_orphans
    call_command("prune_media")
    assert all(path.exists() for path in kept)
    assert not any(path.exists() for path in orphans)
    assert not orphans[0].parent.exists() and not orphans[1].parent.exists()
    assert "removed 4 (files or folders), 0.0 MB" in capsys.readouterr().out


def test_a_dry_run_lists_them_and_removes_nothing(kept_and_orphans, capsys):
    kept, orphans = kept_and_orphans
    call_command("prune_media", "--dry-run")
    out = capsys.readouterr().out
    assert all(path.exists() for path in kept + orphans)
    assert "deleted.jpg" in out and "kept.jpg" not in out
    assert "would remove 4" in out


def test_young_files_go_once_they_are_old_enough(kept_and_orphans):
    kept, _ = kept_and_orphans
    call_command("prune_media", "--min-age-hours", "0")
    assert not kept[-1].exists() and not kept[-2].exists()  # no row ever came for them
    assert all(path.exists() for path in kept[:-2])


@pytest.mark.parametrize("hours", ["-1", "nan"])
def test_a_bad_age_is_refused_and_nothing_removed(kept_and_orphans, hours):
    _, orphans = kept_and_orphans
    with pytest.raises(CommandError, match="min-age-hours"):
        call_command("prune_media", "--min-age-hours", hours)
    assert all(path.exists() for path in orphans)


def test_an_empty_media_folder_is_nothing_to_do(capsys):
    call_command("prune_media")
    assert "removed 0" in capsys.readouterr().out
