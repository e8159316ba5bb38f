"""The normalised crime categories every import maps onto (documented in docs/data-formats.md).

They follow the UK police open-data crime types, which are broad enough for Nordic and US
sources too; the original category of each incident is always kept beside the normalised one.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CrimeCategory(models.TextChoices):
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour", _("Anti-social behaviour")
    BICYCLE_THEFT = "bicycle_theft", _("Bicycle theft")
    BURGLARY = "burglary", _("Burglary")
    CRIMINAL_DAMAGE_ARSON = "criminal_damage_arson", _("Criminal damage and arson")
    DRUGS = "drugs", _("Drugs")
    OTHER_THEFT = "other_theft", _("Other theft")
    POSSESSION_OF_WEAPONS = "possession_of_weapons", _("Possession of weapons")
    PUBLIC_ORDER = "public_order", _("Public order")
    ROBBERY = "robbery", _("Robbery")
    SHOPLIFTING = "shoplifting", _("Shoplifting")
    THEFT_FROM_THE_PERSON = "theft_from_the_person", _("Theft from the person")
    VEHICLE_CRIME = "vehicle_crime", _("Vehicle crime")
    VIOLENCE_AND_SEXUAL = "violence_and_sexual_offences", _("Violence and sexual offences")
    OTHER_CRIME = "other_crime", _("Other crime")


# UK police open-data "Crime type" values, as published.
POLICE_UK_TYPES = {
    "Anti-social behaviour": CrimeCategory.ANTI_SOCIAL_BEHAVIOUR,
    "Bicycle theft": CrimeCategory.BICYCLE_THEFT,
    "Burglary": CrimeCategory.BURGLARY,
    "Criminal damage and arson": CrimeCategory.CRIMINAL_DAMAGE_ARSON,
    "Drugs": CrimeCategory.DRUGS,
    "Other theft": CrimeCategory.OTHER_THEFT,
    "Possession of weapons": CrimeCategory.POSSESSION_OF_WEAPONS,
    "Public order": CrimeCategory.PUBLIC_ORDER,
    "Robbery": CrimeCategory.ROBBERY,
    "Shoplifting": CrimeCategory.SHOPLIFTING,
    "Theft from the person": CrimeCategory.THEFT_FROM_THE_PERSON,
    "Vehicle crime": CrimeCategory.VEHICLE_CRIME,
    "Violence and sexual offences": CrimeCategory.VIOLENCE_AND_SEXUAL,
    "Other crime": CrimeCategory.OTHER_CRIME,
}
