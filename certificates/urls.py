from django.urls import path

from certificates import views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verifier, name="verify"),
    path("trust-list.json", views.trust_list, name="trust_list"),
    path("revocations.json", views.revocations, name="revocations"),
]
