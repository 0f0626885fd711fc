"""The OpenAPI schema and its documentation page: public (they hold no data), the page's Swagger
UI from the drf-spectacular-sidecar package through our static files (no CDN), its start-up
script a separate file so the Content-Security-Policy needs no inline script (the page allows
data: images, Swagger UI's icons, and nothing else more)."""

from __future__ import annotations

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from api import fhir

FHIR_BASE = "/api/v1/fhir/"


class Unknown(APIView):
    """Any other path under /api/: a problem-details 404 (not the HTML page of the site); under
    /api/v1/fhir/ an OperationOutcome."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []
    schema = None  # not an endpoint

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        return fhir.as_outcome(response) if self.request.path.startswith(FHIR_BASE) else response


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]
    throttle_classes = []


# Swagger UI's stylesheet draws its icons as data: images; this page alone may show them (no script).
@method_decorator(csp_update({"img-src": ["'self'", "data:"]}), name="dispatch")
class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/docs.html"
    url_name = "api:schema"
    title = "VaxRecon API"
