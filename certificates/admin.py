"""The certificates room in the admin, read-only: certificates are issued and revoked by its
services, which audit them. Key material is never shown."""

from django.contrib import admin

from certificates.models import CountrySigningCA, DocumentSigner, IssueRun, VaccinationCertificate
from vaxrecon.admin_readonly import ReadOnlyAdmin


@admin.register(CountrySigningCA)
class CountrySigningCAAdmin(ReadOnlyAdmin):
    exclude = ("der",)


@admin.register(DocumentSigner)
class DocumentSignerAdmin(ReadOnlyAdmin):
    exclude = ("der", "pkcs12")


@admin.register(VaccinationCertificate)
class VaccinationCertificateAdmin(ReadOnlyAdmin):
    show_full_result_count = False


@admin.register(IssueRun)
class IssueRunAdmin(ReadOnlyAdmin):
    pass
