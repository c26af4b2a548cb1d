"""The search's synonym dictionary in the admin: administrators add what people type."""

from django.contrib import admin

from .models import SearchSynonym


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ["term", "meanings_shown", "enabled", "note", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["term", "meanings", "note"]
    fields = ["term", "meanings", "enabled", "note"]

    @admin.display(description="对应的事项名称或关键词")
    def meanings_shown(self, obj: SearchSynonym) -> str:
        return "、".join(obj.meaning_list())
