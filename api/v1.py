"""The resources of API v1, one path per endpoint (names are `api:<name>`)."""

from django.urls import path

from api.views import me

urlpatterns = [
    path("me/", me.Me.as_view(), name="me"),
]
