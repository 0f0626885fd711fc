from django.urls import path

from signing import views

app_name = "signing"

urlpatterns = [
    path("", views.batch, name="batch"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/resume/", views.batch_resume, name="batch_resume"),
    path("certificates/", views.certificates, name="certificates"),
    path("signed/", views.signed_records, name="signed"),
    path("check/<int:pk>/", views.record_check, name="check"),
    path("signatures/<int:pk>/cms/", views.signature_cms, name="signature_cms"),
    path("signatures/<int:pk>/payload/", views.signature_payload, name="signature_payload"),
]
