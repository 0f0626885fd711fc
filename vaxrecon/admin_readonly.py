"""A read-only admin for models whose rows carry the audit trail or are changed only by their
room's services (cases, their events, imports, reviews, registry answers, signatures,
certificates): an administrator reads them; a change goes through the page that audits it."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
