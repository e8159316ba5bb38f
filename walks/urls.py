from django.urls import path

from walks import views

urlpatterns = [
    path("kinds/", views.KindList.as_view(), name="kind-list"),
]
