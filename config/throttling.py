"""Slowing down password guessing on every way in: the token endpoint, the login form, the
admin's login and HTTP Basic (GIS clients on the OGC API)."""

from django.contrib.auth import views as auth_views
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.authentication import BasicAuthentication
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.throttling import SimpleRateThrottle


class LoginThrottle(SimpleRateThrottle):
    """Failed and successful attempts alike count per client address, across all web workers."""

    scope = "login"
    cache = caches["shared"]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenView(ObtainAuthToken):
    """Your API token, for scripts and QGIS, in exchange for your username and password."""

    throttle_classes = [LoginThrottle]


class LoginView(auth_views.LoginView):
    """The HTML login form, with the same throttle as the token endpoint."""

    def post(self, request, *args, **kwargs):
        throttle = LoginThrottle()
        if not throttle.allow_request(request, self):
            # The login page again, in the visitor's language, saying why and when to retry.
            # Unbound, with the name typed: its password is not even tried.
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username")}
            )
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=True), status=429
            )
            response["Retry-After"] = str(int(throttle.wait() or 60))
            return response
        return super().post(request, *args, **kwargs)


class ThrottledBasicAuthentication(BasicAuthentication):
    """HTTP Basic for QGIS and other GIS clients, which send the password with every request:
    so only failed ones count, per client address, as many as the login form allows. It was
    not counted at all, and a page on any site could have run the guessing from its visitors'
    browsers (the OGC API answers any origin)."""

    def authenticate(self, request):
        if not request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic "):
            return None  # as BasicAuthentication answers, without a look at the counts
        throttle = LoginThrottle()
        allowed, period = throttle.parse_rate(throttle.get_rate())
        key = f"throttle_basic_failures_{throttle.get_ident(request)}"
        failures = throttle.cache.get(key, 0)
        if failures >= allowed:
            raise Throttled(wait=period)
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle.cache.set(key, failures + 1, period)
            raise


def login_throttled(view):
    """The admin's login with the login form's throttle on its attempts."""

    def throttled(request, *args, **kwargs):
        throttle = LoginThrottle()
        if request.method == "POST" and not throttle.allow_request(request, None):
            response = HttpResponse(
                _("Too many login attempts. Try again in a minute."), status=429
            )
            response["Retry-After"] = str(int(throttle.wait() or 60))
            return response
        return view(request, *args, **kwargs)

    return throttled
