"""A deleted analysis run leaves no rasters behind in media/, however it is deleted (the data
page and the API: tests/layers/test_data_page.py), and a raster being sent is not cut short."""

import pytest
from django.db import transaction

from layers.models import AnalysisRaster
from tests.factories import make_user
from tests.tiles.data import add_run

pytestmark = pytest.mark.django_db

RASTER = b"II*\x00" + bytes(range(256)) * 64


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run_with_raster(area, media):
    run = add_run(area, {})
    path = media / "analyses" / str(run.pk) / "insecurity.tif"
    path.parent.mkdir(parents=True)
    path.write_bytes(RASTER)
    AnalysisRaster.objects.create(
        run=run, name="insecurity", path=f"analyses/{run.pk}/insecurity.tif"
    )
    return run, path.parent


def test_deleting_an_area_in_the_admin_removes_its_runs_rasters(
    client, area, tmp_path, django_capture_on_commit_callbacks
):
    folders = [run_with_raster(area, tmp_path)[1] for _ in range(2)]
    client.force_login(make_user(is_superuser=True, is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/geo/area/{area.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not any(folder.exists() for folder in folders)
    assert (tmp_path / "analyses").is_dir()  # the other runs' folder stays


def test_a_deletion_rolled_back_keeps_the_files(area, tmp_path, django_capture_on_commit_callbacks):
    run, folder = run_with_raster(area, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            run.delete()
            raise RuntimeError("the deletion fails later on")
    assert (folder / "insecurity.tif").read_bytes() == RASTER


def test_a_raster_being_downloaded_is_sent_whole_and_then_is_gone(
    area, member, client_for, tmp_path, django_capture_on_commit_callbacks
):
    run, folder = run_with_raster(area, tmp_path)
    api = client_for(member("analyst"))
    url = f"/api/analyses/{run.pk}/rasters/insecurity.tif"
    sending = api.get(url)
    assert sending.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/analyses/{run.pk}/").status_code == 204
    assert not folder.exists()
    assert b"".join(sending.streaming_content) == RASTER  # read to the end, it is closed
    assert api.get(url).status_code == 404


def test_a_raster_file_gone_before_its_row_is_a_404(area, member, client_for, tmp_path):
    run, folder = run_with_raster(area, tmp_path)
    (folder / "insecurity.tif").unlink()
    response = client_for(member("analyst")).get(f"/api/analyses/{run.pk}/rasters/insecurity.tif")
    assert response.status_code == 404
    assert "missing" in str(response.json())
