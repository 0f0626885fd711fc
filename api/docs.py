"""The OpenAPI schema and its documentation page: public (they hold no data), the page's Swagger
UI from the drf-spectacular-sidecar package through our static files (no CDN), its start-up
script a separate file so the Content-Security-Policy needs no inline script."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]
    throttle_classes = []


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/docs.html"
    url_name = "api:schema"
    title = "VaxRecon API"
