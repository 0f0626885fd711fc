from __future__ import annotations

from rest_framework import serializers

from verification.models import ImportJob


class ImportUploadIn(serializers.Serializer):
    file = serializers.FileField(help_text="The log as .csv (UTF-8) or .xlsx, columns as on the import page.")


class ImportJobOut(serializers.ModelSerializer):
    percent = serializers.SerializerMethodField()
    finished = serializers.SerializerMethodField()
    has_error_report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "original_name", "status", "message", "total_rows", "processed_rows",
                  "linked_rows", "review_rows", "unmatched_rows", "invalid_rows", "skipped_rows",
                  "created_at", "finished_at", "percent", "finished", "has_error_report"]
        read_only_fields = fields

    def get_finished(self, job) -> bool:
        return job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)

    def get_percent(self, job) -> int:
        if self.get_finished(job):
            return 100
        return int(job.processed_rows * 100 / job.total_rows) if job.total_rows else 0

    def get_has_error_report(self, job) -> bool:
        return bool(job.error_report)
