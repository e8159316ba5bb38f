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


# Offence names as Swedish and Danish police and statistics write them, for generic files from
# the areas Trygg is made for (matched in any case; anything else stays other_crime, counted in
# the import's unknown_categories note).
NORDIC_NAMES = {
    # Swedish
    "misshandel": C.VIOLENCE_AND_SEXUAL,
    "grov misshandel": C.VIOLENCE_AND_SEXUAL,
    "våld": C.VIOLENCE_AND_SEXUAL,
    "olaga hot": C.VIOLENCE_AND_SEXUAL,
    "våldtäkt": C.VIOLENCE_AND_SEXUAL,
    "sexuellt ofredande": C.VIOLENCE_AND_SEXUAL,
    "sexualbrott": C.VIOLENCE_AND_SEXUAL,
    "mord": C.VIOLENCE_AND_SEXUAL,
    "rån": C.ROBBERY,
    "personrån": C.ROBBERY,
    "inbrott": C.BURGLARY,
    "bostadsinbrott": C.BURGLARY,
    "stöld": C.OTHER_THEFT,
    "cykelstöld": C.BICYCLE_THEFT,
    "fickstöld": C.THEFT_FROM_THE_PERSON,
    "butiksstöld": C.SHOPLIFTING,
    "snatteri": C.SHOPLIFTING,
    "bilstöld": C.VEHICLE_CRIME,
    "stöld ur fordon": C.VEHICLE_CRIME,
    "skadegörelse": C.CRIMINAL_DAMAGE_ARSON,
    "klotter": C.CRIMINAL_DAMAGE_ARSON,
    "mordbrand": C.CRIMINAL_DAMAGE_ARSON,
    "anlagd brand": C.CRIMINAL_DAMAGE_ARSON,
    "narkotikabrott": C.DRUGS,
    "ringa narkotikabrott": C.DRUGS,
    "vapenbrott": C.POSSESSION_OF_WEAPONS,
    "brott mot knivlagen": C.POSSESSION_OF_WEAPONS,
    "ordningsstörning": C.PUBLIC_ORDER,
    "våldsamt upplopp": C.PUBLIC_ORDER,
    "bedrägeri": C.OTHER_CRIME,
    # Danish
    "vold": C.VIOLENCE_AND_SEXUAL,
    "simpel vold": C.VIOLENCE_AND_SEXUAL,
    "grov vold": C.VIOLENCE_AND_SEXUAL,
    "trusler": C.VIOLENCE_AND_SEXUAL,
    "voldtægt": C.VIOLENCE_AND_SEXUAL,
    "seksualforbrydelse": C.VIOLENCE_AND_SEXUAL,
    "drab": C.VIOLENCE_AND_SEXUAL,
    "røveri": C.ROBBERY,
    "indbrud": C.BURGLARY,
    "indbrud i beboelse": C.BURGLARY,
    "tyveri": C.OTHER_THEFT,
    "cykeltyveri": C.BICYCLE_THEFT,
    "lommetyveri": C.THEFT_FROM_THE_PERSON,
    "butikstyveri": C.SHOPLIFTING,
    "tyveri af bil": C.VEHICLE_CRIME,
    "tyveri fra bil": C.VEHICLE_CRIME,
    "hærværk": C.CRIMINAL_DAMAGE_ARSON,
    "brandstiftelse": C.CRIMINAL_DAMAGE_ARSON,
    "narkotika": C.DRUGS,
    "narkotikakriminalitet": C.DRUGS,
    "våbenloven": C.POSSESSION_OF_WEAPONS,
    "knivloven": C.POSSESSION_OF_WEAPONS,
    "uorden": C.PUBLIC_ORDER,
    "bedrageri": C.OTHER_CRIME,
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
    lookup.update(NORDIC_NAMES)
    return lookup


GENERIC_LOOKUP = _generic_lookup()


def generic_category(value: str) -> CrimeCategory | None:
    """A normalised code, a police-uk crime type (the English labels), a Chicago primary type or
    a Swedish or Danish offence name (any case); None when the value is none of these (the
    importer files it as other_crime)."""
    return GENERIC_LOOKUP.get(value.strip().lower())
