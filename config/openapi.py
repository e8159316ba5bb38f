"""OpenAPI post-processing: every operation documents the errors Trygg can answer with.

All refusals share one shape (`{"detail": …}` or field → messages), so they are declared once
here rather than on each view.
"""

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
