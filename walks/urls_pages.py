from django.urls import path

from walks import pages, report

urlpatterns = [
    path("walks/", pages.my_walks, name="my-walks"),
    path("walks/sw.js", pages.service_worker, name="capture-service-worker"),
    path("walks/plan/<slug:slug>/", pages.plan, name="walk-plan"),
    path("walks/<int:pk>/capture/", pages.capture, name="walk-capture"),
    path("walks/<int:pk>/report/", report.walk_report, name="walk-report"),
    path("walks/<int:pk>/manifest.webmanifest", pages.manifest, name="capture-manifest"),
]
