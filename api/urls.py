"""The API's URLs: /api/v1/ (the resources), /api/schema/ and /api/docs/, and the key page."""

from django.urls import include, path, re_path

from api import docs, pages

app_name = "api"

urlpatterns = [
    path("keys/", pages.api_keys, name="keys"),
    path("keys/<int:pk>/revoke/", pages.api_key_revoke_view, name="key_revoke"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("v1/", include("api.v1")),
    re_path(r"^", docs.Unknown.as_view(), name="unknown"),  # last: any other /api/ path
]
