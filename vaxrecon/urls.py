from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from vaxrecon import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Each room adds its own pages when it has some.
for app in ("verification", "signing", "certificates", "reports", "api"):
    try:
        urlpatterns.append(path(f"{app}/", include(f"{app}.urls", namespace=app)))
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.urls":  # a real import error inside the module must surface
            raise

# MEDIA_ROOT (evidence photos, import files) is never served as static files: each file is
# served by a view that checks the acting user's scope.
