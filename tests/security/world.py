"""One private area with something in every layer, a member of each role, and an outsider who
belongs to another area: the cast of the permission matrix."""

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geo.models import Role
from layers.models import ImportJob, SurveyResult
from tests.factories import make_area, make_member
from tests.tiles.data import write_density_raster
from tests.tiles.layered import fill_every_layer
from walks.services import photo_store

ROLES = ["anonymous", "outsider", "participant", "planner", "analyst", "coordinator"]


@dataclass
class World:
    users: dict
    ids: dict


def build_world(media_root) -> World:
    area = make_area("testarea")
    elsewhere = make_area("elsewhere")
    users = {"anonymous": None, "outsider": make_member(elsewhere, Role.PARTICIPANT)}
    for role in ROLES[2:]:
        users[role] = make_member(area, role)
    walk = fill_every_layer(area)
    walk.participants.add(users["participant"])
    observation = walk.observations.first()
    observation.author = users["participant"]  # who may withdraw it while the walk is open
    observation.save(update_fields=["author"])
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(image, "JPEG")
    photo, _ = photo_store(
        observation=observation,
        upload=SimpleUploadedFile("p.jpg", image.getvalue(), content_type="image/jpeg"),
    )
    write_density_raster(area, media_root)
    run = area.analysis_runs.filter(rasters__isnull=False).get()
    job = ImportJob.objects.create(area=area, kind="lamps", format="geojson", file_name="l.json")
    crime_job = ImportJob.objects.create(
        area=area, kind="crime", format="police-uk", file_name="c.csv", status="done"
    )
    SurveyResult.objects.create(
        block=area.blocks.get(code="SW"), period="2025", respondents=40, share_unsafe=0.25
    )
    member = area.memberships.get(user=users["participant"])
    return World(
        users=users,
        ids={
            "slug": area.slug,
            "walk": walk.pk,
            "observation": observation.pk,
            "client_id": observation.client_id,
            "photo": photo.pk,
            "run": run.pk,
            "job": job.pk,
            "crime_job": crime_job.pk,
            "member": member.pk,
            "block": area.blocks.get(code="SW").pk,
        },
    )
