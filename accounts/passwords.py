"""What a new password ends besides the sessions (which Django ends by their auth hash)."""

from django.contrib.auth import views as auth_views
from rest_framework.authtoken.models import Token


def tokens_end(user) -> None:
    """The user's API token goes with the old password: a token taken by whoever knew the old
    one (the reason for a reset) kept working after it (QGIS, scripts: they ask for a new one)."""
    Token.objects.filter(user=user).delete()


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own, ending the API token too."""

    def form_valid(self, form):
        response = super().form_valid(form)
        tokens_end(form.user)
        return response
