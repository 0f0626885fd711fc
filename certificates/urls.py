from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verifier, name="verify"),
    path("citizens/<int:pk>/", views.citizen_certificates, name="citizen"),
    path("citizens/<int:pk>/issue/", views.issue, name="issue"),
    path("citizens/<int:pk>/qr.png", views.certificate_png, name="png"),
    path("citizens/<int:pk>/certificate.pdf", views.certificate_pdf, name="pdf"),
    path("trust-list.json", views.trust_list, name="trust_list"),
    path("revocations.json", views.revocations, name="revocations"),
]
