"""Every route of the URLconf as a string, so the permission matrix can insist on covering them."""

from django.urls import URLPattern, URLResolver, get_resolver


def all_routes(resolver=None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes.extend(all_routes(entry, route))
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes
