from django.contrib import admin

from .models import Complaint, Question, Rating, RatingAppeal, RatingFollowUp


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["question", "item", "department", "asked_at", "answered_at", "published"]
    list_filter = ["published", "department"]
    search_fields = ["question", "answer"]
    raw_id_fields = ["item", "answered_by"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "department", "filed_at", "answer_due", "status"]
    list_filter = ["status", "subject", "department"]
    search_fields = ["number"]
    exclude = ["mobile"]
    readonly_fields = ["number", "filed_at", "answer_due", "answered_at", "answered_by", "mobile_masked"]
    raw_id_fields = ["case", "window"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["id", "level", "department", "case", "window", "rated_at", "by_default", "excluded"]
    list_filter = ["level", "by_default", "excluded", "department"]
    exclude = ["rater_mobile"]
    raw_id_fields = ["case", "window"]


@admin.register(RatingFollowUp)
class RatingFollowUpAdmin(admin.ModelAdmin):
    list_display = ["rating", "department", "due", "visited_at", "outcome", "done_at"]
    list_filter = ["outcome", "department"]
    raw_id_fields = ["rating", "visited_by", "done_by"]


@admin.register(RatingAppeal)
class RatingAppealAdmin(admin.ModelAdmin):
    list_display = ["rating", "by", "requested_at", "decision", "decided_at"]
    list_filter = ["decision", "by"]
    raw_id_fields = ["rating", "requested_by", "decided_by"]
