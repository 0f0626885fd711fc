from django.contrib import admin

from accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "facility", "ward", "province")
    list_filter = ("role",)
    raw_id_fields = ("facility", "ward", "province")
