from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.passwords import PasswordChangeView
from config.throttling import LoginView, TokenView, login_throttled
from geo.views import healthz, home

api = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    # The same for everyone until the next deploy, and 65-75 ms to build: built once an hour.
    path("schema/", cache_page(60 * 60)(SpectacularAPIView.as_view()), name="schema"),
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
    path("", include("geo.urls_pages")),
    # The admin's own login form, with the same throttle as the site's.
    path("admin/login/", login_throttled(admin.site.login)),
    path("admin/", admin.site.urls),
    # Password reset by e-mail is left out: residents often have no e-mail address in Trygg.
    # Their coordinator gives them a new password on the members page (geo/pages.py).
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
