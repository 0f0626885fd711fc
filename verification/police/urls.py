"""Police pages, included by verification/urls.py under police/ (no namespace of their own:
names resolve as verification:police_queue etc.)."""

from django.urls import path

from verification.police import views

urlpatterns = [
    path("", views.police_queue, name="police_queue"),
    path("next/", views.police_next, name="police_next"),
    path("cases/<int:pk>/", views.police_case, name="police_case"),
    path("cases/<int:pk>/ask-registry/", views.police_ask_registry, name="police_ask_registry"),
    path("cases/<int:pk>/release/", views.police_release, name="police_release"),
    path("bulk-confirm/", views.police_bulk, name="police_bulk"),
    path("report/", views.police_report, name="police_report"),
    path("report.csv", views.police_report_csv, name="police_report_csv"),
]
