"""Mapping source categories onto the normalised set of layers.categories (docs/data-formats.md)."""

from layers.categories import POLICE_UK_TYPES, CrimeCategory

C = CrimeCategory

# City of Chicago "Primary Type" values. The Description refines THEFT (see CHICAGO_THEFT).
CHICAGO_PRIMARY_TYPES = {
    "ARSON": C.CRIMINAL_DAMAGE_ARSON,
    "ASSAULT": C.VIOLENCE_AND_SEXUAL,
    "BATTERY": C.VIOLENCE_AND_SEXUAL,
    "BURGLARY": C.BURGLARY,
    "CONCEALED CARRY LICENSE VIOLATION": C.POSSESSION_OF_WEAPONS,
    "CRIM SEXUAL ASSAULT": C.VIOLENCE_AND_SEXUAL,
    "CRIMINAL SEXUAL ASSAULT": C.VIOLENCE_AND_SEXUAL,
    "CRIMINAL DAMAGE": C.CRIMINAL_DAMAGE_ARSON,
    "CRIMINAL TRESPASS": C.OTHER_CRIME,
    "DECEPTIVE PRACTICE": C.OTHER_CRIME,
    "GAMBLING": C.OTHER_CRIME,
    "HOMICIDE": C.VIOLENCE_AND_SEXUAL,
    "HUMAN TRAFFICKING": C.VIOLENCE_AND_SEXUAL,
    "INTERFERENCE WITH PUBLIC OFFICER": C.OTHER_CRIME,
    "INTIMIDATION": C.VIOLENCE_AND_SEXUAL,
    "KIDNAPPING": C.VIOLENCE_AND_SEXUAL,
    "LIQUOR LAW VIOLATION": C.PUBLIC_ORDER,
    "MOTOR VEHICLE THEFT": C.VEHICLE_CRIME,
    "NARCOTICS": C.DRUGS,
    "NON-CRIMINAL": C.OTHER_CRIME,
    "NON - CRIMINAL": C.OTHER_CRIME,
    "NON-CRIMINAL (SUBJECT SPECIFIED)": C.OTHER_CRIME,
    "OBSCENITY": C.OTHER_CRIME,
    "OFFENSE INVOLVING CHILDREN": C.VIOLENCE_AND_SEXUAL,
    "OTHER NARCOTIC VIOLATION": C.DRUGS,
    "OTHER OFFENSE": C.OTHER_CRIME,
    "PROSTITUTION": C.OTHER_CRIME,
    "PUBLIC INDECENCY": C.VIOLENCE_AND_SEXUAL,
    "PUBLIC PEACE VIOLATION": C.PUBLIC_ORDER,
    "RITUALISM": C.OTHER_CRIME,
    "ROBBERY": C.ROBBERY,
    "SEX OFFENSE": C.VIOLENCE_AND_SEXUAL,
    "STALKING": C.VIOLENCE_AND_SEXUAL,
    "THEFT": C.OTHER_THEFT,
    "WEAPONS VIOLATION": C.POSSESSION_OF_WEAPONS,
}
# THEFT descriptions that the police-uk scheme files separately.
CHICAGO_THEFT = {
    "RETAIL THEFT": C.SHOPLIFTING,
    "POCKET-PICKING": C.THEFT_FROM_THE_PERSON,
    "PURSE-SNATCHING": C.THEFT_FROM_THE_PERSON,
}


def chicago_category(primary_type: str, description: str) -> CrimeCategory:
    primary = primary_type.strip().upper()
    if primary == "THEFT":
        return CHICAGO_THEFT.get(description.strip().upper(), C.OTHER_THEFT)
    return CHICAGO_PRIMARY_TYPES.get(primary, C.OTHER_CRIME)


def _generic_lookup() -> dict[str, CrimeCategory]:
    lookup: dict[str, CrimeCategory] = {}
    for name, category in CHICAGO_PRIMARY_TYPES.items():
        lookup[name.lower()] = category
    for name, category in POLICE_UK_TYPES.items():
        lookup[name.lower()] = category
    for category in CrimeCategory:
        lookup[category.value] = category
        lookup[category.value.replace("_", " ")] = category
    return lookup


GENERIC_LOOKUP = _generic_lookup()


def generic_category(value: str) -> CrimeCategory | None:
    """A normalised code, a police-uk crime type (the English labels) or a Chicago primary type
    (any case); None when the value is none of these (the importer files it as other_crime)."""
    return GENERIC_LOOKUP.get(value.strip().lower())
