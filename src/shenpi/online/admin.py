"""Online applications in the admin, read-only: they change through the applicant's and the window's pages."""

from django.contrib import admin

from .models import (
    ApplicationEvent,
    OnlineApplication,
    StageApplication,
    StageApplicationEvent,
    StageUpload,
    Upload,
)


class UploadInline(admin.TabularInline):
    model = Upload
    fields = ["spec", "name", "content_type", "size", "pages", "digest", "uploaded_at", "superseded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    fields = ["at", "action", "actor_name", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(OnlineApplication)
class OnlineApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "version", "department", "status", "submitted_at", "prereview_due", "case"]
    list_filter = ["status", "department"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    fields = ["number", "item", "version", "department", "title", "status", "created_at", "first_submitted_at",
              "submitted_at", "prereview_due", "decided_at", "decided_by", "case", "refusal_reason"]
    readonly_fields = fields
    inlines = [UploadInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StageUploadInline(admin.TabularInline):
    model = StageUpload
    fields = ["material", "name", "content_type", "size", "pages", "digest", "uploaded_at", "superseded_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class StageEventInline(admin.TabularInline):
    model = StageApplicationEvent
    fields = ["at", "action", "actor_name", "from_status", "to_status", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(StageApplication)
class StageApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "template", "project", "status", "submitted_at", "prereview_due", "stage"]
    list_filter = ["status", "template"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    fields = ["number", "template", "project", "title", "answers", "status", "created_at", "first_submitted_at",
              "submitted_at", "prereview_due", "decided_at", "decided_by", "stage", "refusal_reason"]
    readonly_fields = fields
    inlines = [StageUploadInline, StageEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
