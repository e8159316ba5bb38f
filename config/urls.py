from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.throttling import LoginView, TokenView
from geo.views import healthz, home

api = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("geo.urls")),
    path("", include("walks.urls")),
    path("", include("layers.urls_imports")),
    path("", include("layers.urls_analysis")),
    path("", include("layers.urls_exports")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("api/", include(api)),
    path("tiles/", include("tiles.urls")),
    path("ogc/", include("layers.urls_ogc")),
    path("", include("layers.urls_map")),
    path("", include("walks.urls_pages")),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
