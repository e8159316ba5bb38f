"""The hash of a first password that Trygg made (geo.services.first_password)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password


class FirstPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with 20,000 rounds instead of Django's million, for first passwords only.

    Django's rounds make a guessable password costly to guess; a first password is not
    guessable (12 random signs, about 58 bits), so the default's 0.45 s per account would only
    make a coordinator adding a walk's 30 residents wait 14 s. At 20,000 rounds a copy of the
    database still takes a GPU thousands of years per account to open. The first login rehashes
    the password with the default hasher (Django upgrades a hash whose algorithm is not the
    first of PASSWORD_HASHERS), and the resident then chooses their own."""

    algorithm = "pbkdf2_sha256_first"
    iterations = 20_000


def first_password_hash(password: str) -> str:
    try:
        hasher = get_hasher(FirstPasswordHasher.algorithm)
    except ValueError:  # not among PASSWORD_HASHERS (the tests run with a fast hasher alone)
        hasher = get_hasher()
    return make_password(password, hasher=hasher)
