from django.contrib import admin

from records.models import AuditEvent, Citizen, Facility, InjectionRecord, Province, VaccineProduct, Ward


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("name", "codename")


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    search_fields = ("name", "codename")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "ward", "ownership", "active")
    list_filter = ("ownership", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("ward",)


@admin.register(VaccineProduct)
class VaccineProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "manufacturer", "family", "eu_medicinal_product")


@admin.register(Citizen)
class CitizenAdmin(admin.ModelAdmin):
    # Lists show masked identifiers only.
    list_display = ("full_name", "masked_cccd", "birth_year", "sex", "ward")
    search_fields = ("name_key",)
    raw_id_fields = ("ward",)
    show_full_result_count = False


@admin.register(InjectionRecord)
class InjectionRecordAdmin(admin.ModelAdmin):
    list_display = ("citizen", "vaccine", "dose_number", "injection_date", "status", "version")
    list_filter = ("status", "source")
    raw_id_fields = ("citizen", "facility", "previous", "created_by")
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
