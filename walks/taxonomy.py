"""The built-in observation kinds, seeded by a migration and kept in sync by it.

Geometry types: a blocked sightline is a line from the observer to what cannot be seen; most
findings are points, and some (neglect, a hiding place, a poor path) may be drawn as lines or
areas too. Positive kinds are recorded as the methods insist.
"""

P, L, A = "Point", "LineString", "Polygon"

BUILTIN_KINDS = [
    # code, en, sv, da, geometry types, positive
    ("unsafe_spot", "Unsafe spot", "Otrygg plats", "Utrygt sted", [P, A], False),
    (
        "lighting_defect",
        "Lighting defect",
        "Bristande belysning",
        "Mangelfuld belysning",
        [P, L],
        False,
    ),
    ("blocked_sightline", "Blocked sightline", "Skymd sikt", "Blokeret udsyn", [L], False),
    (
        "neglect",
        "Neglect (litter, disrepair)",
        "Nedskräpning och förfall",
        "Forfald og affald",
        [P, L, A],
        False,
    ),
    (
        "vandalism",
        "Vandalism and graffiti",
        "Skadegörelse och klotter",
        "Hærværk og graffiti",
        [P, A],
        False,
    ),
    ("hiding_place", "Hiding place", "Gömställe", "Skjulested", [P, A], False),
    ("drug_dealing", "Drug dealing", "Narkotikahandel", "Narkohandel", [P, A], False),
    ("disturbance", "Disturbance", "Störning", "Uro", [P, A], False),
    ("poor_walk_path", "Poor walking path", "Dålig gångväg", "Dårlig gangsti", [P, L], False),
    ("other", "Other", "Annat", "Andet", [P, L, A], False),
    ("safe_place", "Safe place", "Trygg plats", "Trygt sted", [P, A], True),
    ("meeting_place", "Meeting place", "Mötesplats", "Mødested", [P, A], True),
]


def builtin_kinds_ensure(**kwargs) -> None:
    """Create or update the built-in kinds. Runs after every migrate and every flush (tests)."""
    from walks.models import ObservationKind

    wanted = [
        (code, en, sv, da, list(geometry_types), positive, order)
        for order, (code, en, sv, da, geometry_types, positive) in enumerate(BUILTIN_KINDS)
    ]
    stored = ObservationKind.objects.filter(area__isnull=True).order_by("sort_order")
    fields = ("code", "label_en", "label_sv", "label_da", "geometry_types", "positive")
    # Compared whole, so that a label corrected here reaches databases seeded before.
    if [(*row, i) for i, row in enumerate(stored.values_list(*fields))] == wanted:
        return
    for order, (code, en, sv, da, geometry_types, positive) in enumerate(BUILTIN_KINDS):
        ObservationKind.objects.update_or_create(
            code=code,
            area=None,
            defaults={
                "label_en": en,
                "label_sv": sv,
                "label_da": da,
                "geometry_types": geometry_types,
                "positive": positive,
                "sort_order": order,
            },
        )
