"""Imports and the match review queue; included under the `verification` namespace."""

from django.urls import path

from verification.imports import views

urlpatterns = [
    path("", views.import_upload, name="import_upload"),
    path("template.csv", views.import_template, {"fmt": "csv"}, name="import_template_csv"),
    path("template.xlsx", views.import_template, {"fmt": "xlsx"}, name="import_template_xlsx"),
    path("<int:pk>/", views.import_job, name="import_job"),
    path("<int:pk>/progress/", views.import_job_progress, name="import_job_progress"),
    path("<int:pk>/errors.csv", views.import_error_report, name="import_error_report"),
    path("<int:pk>/resume/", views.import_resume, name="import_job_resume"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/<slug:action>/", views.review_action, name="review_action"),
]
