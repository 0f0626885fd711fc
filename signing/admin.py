"""The signing room in the admin, read-only: certificates are registered, batches run and
signatures made by the signing services, which audit them. Key material is never shown."""

from django.contrib import admin

from signing.models import AuthorityCertificate, RevocationList, Signature, SignerCertificate, SigningBatch
from vaxrecon.admin_readonly import ReadOnlyAdmin


@admin.register(SignerCertificate)
class SignerCertificateAdmin(ReadOnlyAdmin):
    list_display = ("subject", "user", "serial", "not_before", "not_after", "key_store")
    exclude = ("der", "pkcs12")


@admin.register(AuthorityCertificate)
class AuthorityCertificateAdmin(ReadOnlyAdmin):
    list_display = ("subject", "serial", "not_before", "not_after")
    exclude = ("der",)


@admin.register(RevocationList)
class RevocationListAdmin(ReadOnlyAdmin):
    exclude = ("der",)


@admin.register(SigningBatch)
class SigningBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "signed_by", "status", "total", "signed", "created_at")
    exclude = ("record_ids",)
    list_filter = ("status",)


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("record", "signed_by", "certificate", "signing_time", "status")
    list_filter = ("status",)
    show_full_result_count = False
    exclude = ("signature",)
