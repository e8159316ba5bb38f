"""The OpenAPI schema behind /api/docs/: operations grouped by what their users do, and every
operation documents the errors Trygg can answer with.

All refusals share one shape (`{"detail": …}` or field → messages), so they are declared once
here rather than on each view.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

# The docs page lists its groups in this order. An analyst follows the start page's link to it
# for imports and analyses, which have no page of their own.
TAGS = [
    {"name": "Imports", "description": "Recorded crime, blocks, lamps and surveys (analysts)"},
    {"name": "Analyses", "description": "Hotspot runs comparing crime with perceived insecurity"},
    {"name": "Walks", "description": "Safety walks, their observations and photos"},
    {"name": "Areas", "description": "Areas, their blocks and members"},
    {"name": "Exports", "description": "GeoJSON, GeoPackage, CSV and DXF downloads"},
    {"name": "OGC API Features", "description": "The same layers, live for QGIS"},
    {"name": "Sign-in", "description": "A token for scripts and QGIS"},
]

# Where each view module's operations go.
TAG_OF_MODULE = {
    "layers.views_imports": "Imports",
    "layers.analysis.views": "Analyses",
    "walks.views": "Walks",
    "geo.views": "Areas",
    "layers.exports.views": "Exports",
    "layers.exports.ogc": "OGC API Features",
    "config.throttling": "Sign-in",
}


class TaggedSchema(AutoSchema):
    def get_tags(self):
        tag = TAG_OF_MODULE.get(type(self.view).__module__)
        return [tag] if tag else super().get_tags()

    def get_summary(self):
        """The docs page shows the summary beside the path: the description's first sentence,
        where the view sets none of its own."""
        summary = super().get_summary()
        if summary:
            return summary
        text = " ".join(self.get_description().split())
        return text.split(". ")[0].rstrip(".") or None


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def blank_optional_form_fields(result, generator, request, public):
    """The docs page fills a form's text fields with the sample value "string" and sends them
    all: an import tried from there was refused for `format` "string". An empty example leaves
    an optional field empty; the page sends it as empty text, which the API reads as not given
    (layers/serializers.py)."""
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            if set(content) - set(FORMS):
                continue  # a JSON body too: the page offers a JSON editor first
            for media_type in FORMS:
                reference = content.get(media_type, {}).get("schema", {}).get("$ref", "")
                form = schemas.get(reference.rpartition("/")[2], {})
                required = set(form.get("required", ()))
                for name, field in form.get("properties", {}).items():
                    if name not in required and field.get("type") == "string":
                        if not {"example", "default", "enum", "format"} & set(field):
                            field["example"] = ""
    return result


def list_tags(result, generator, request, public):
    result["tags"] = TAGS
    return result


ERRORS = {
    "400": "Invalid input: the body names each field and the reason",
    "401": "Not logged in (no or a bad token)",
    "403": "Your role in this area does not allow this",
    "404": "No such object, or an area you may not see",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflicts with the current state (e.g. a run not done yet)",
    "413": "Upload too large",
    "415": "Unsupported media type",
    "429": "Too many requests (login rate limit)",
}

ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` for general refusals, or one list of messages per field",
    "additionalProperties": True,
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


# PostgreSQL text cannot hold NUL, and config.middleware.RejectNulInQuery refuses it (400).
NO_NUL = "^[^\\u0000]*$"


def forbid_nul_in_query_strings(result, generator, request, public):
    """Say so in the schema: every free-text query parameter excludes the NUL character."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    if "pattern" not in schema and "enum" not in schema:
                        schema["pattern"] = NO_NUL
    return result


class ThrottledBasicScheme(OpenApiAuthenticationExtension):
    """HTTP Basic as the OGC API takes it (config.throttling), in the schema's security list."""

    target_class = "config.throttling.ThrottledBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
