from django.urls import path

from certificates import holder_views, views

app_name = "certificates"

urlpatterns = [
    path("verify/", views.verifier, name="verify"),
    path("issue/", views.bulk_issue, name="bulk"),
    path("issue/<int:pk>/progress/", views.bulk_progress, name="bulk_progress"),
    path("citizens/<int:pk>/", views.citizen_certificates, name="citizen"),
    path("citizens/<int:pk>/issue/", views.issue, name="issue"),
    path("citizens/<int:pk>/qr.png", views.certificate_png, name="png"),
    path("citizens/<int:pk>/certificate.pdf", views.certificate_pdf, name="pdf"),
    # The citizen's own certificate (no account; a one-time code to their phone).
    path("mine/", holder_views.mine, name="mine"),
    path("mine/find/", holder_views.lookup, name="mine_lookup"),
    path("mine/find/code/", holder_views.lookup_code, name="mine_code"),
    path("mine/request/<str:code>/", holder_views.from_case, name="mine_case"),
    path("mine/<int:pk>/qr.png", holder_views.mine_png, name="mine_png"),
    path("mine/<int:pk>/certificate.pdf", holder_views.mine_pdf, name="mine_pdf"),
    path("trust-list.json", views.trust_list, name="trust_list"),
    path("revocations.json", views.revocations, name="revocations"),
]
