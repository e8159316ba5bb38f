"""Slowing down password guessing on both ways in: the token endpoint and the login form."""

from django.contrib.auth import views as auth_views
from django.core.cache import caches
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.authtoken.views import ObtainAuthToken
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
