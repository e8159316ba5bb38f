"""Reading settings from the environment, failing loudly with the name of the bad setting."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def load_dotenv(path: Path) -> None:
    """Fill os.environ from a KEY=VALUE file without overriding what is already set.

    The bootstrap writes `.env` for the local PostGIS, so `manage.py` works with no extra
    environment; real deployments set the variables themselves.
    """
    if not path.exists():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ImproperlyConfigured(f"{path.name} line {number}: expected KEY=VALUE")
        os.environ.setdefault(key.strip(), value.strip())


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Setting {name} is required but not set")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise ImproperlyConfigured(f"Setting {name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    return _env_number(name, default, minimum, int, "an integer")


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    return _env_number(name, default, minimum, float, "a number")


def _env_number(name: str, default, minimum, parse, what: str):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"Setting {name}={raw!r} is not {what}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Setting {name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(name: str = "DATABASE_URL") -> dict:
    """Parse a postgis:// URL; anything else is refused, since Trygg runs on PostGIS only."""
    import dj_database_url

    url = env_str(name)
    if not url.startswith(("postgis://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"Setting {name} must be a postgis:// URL (postgis://user:password@host:port/db), "
            f"got scheme {url.split(':', 1)[0]!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as error:  # dj_database_url raises a bare ValueError on bad ports etc.
        raise ImproperlyConfigured(f"Setting {name} is not a valid database URL: {error}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"Setting {name} names no database (…/dbname at the end)")
    config["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    return config
