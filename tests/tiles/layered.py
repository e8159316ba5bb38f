"""One feature or more in every layer of the test area, all inside the WHOLE_AREA tile."""

from django.contrib.gis.geos import LineString, Point

from tests.tiles.data import add_crime_points, add_lamp, add_observation, add_run, add_walk


def fill_every_layer(area):
    add_crime_points(area)
    add_run(
        area,
        {
            "SW": {"comparison_class": "crime_exceeds_fear", "crime_count": 4, "crime_value": 4.0},
            "NE": {"comparison_class": "both_low", "crime_count": 2, "crime_value": 2.0},
        },
    )
    walk = add_walk(area)
    add_observation(walk, Point(13.005, 55.606, srid=4326), "unsafe_spot", severity=4)
    add_observation(
        walk, LineString((13.006, 55.606), (13.008, 55.607), srid=4326), "blocked_sightline"
    )
    add_lamp(area, 13.001, 55.601, "broken")
    return walk
