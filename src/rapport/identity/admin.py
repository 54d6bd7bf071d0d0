"""Back-office admin for social identities, merges, review items and matching settings."""

from django.contrib import admin

from rapport.identity.models import MatchSettings, Merge, ReviewItem, SocialIdentity


@admin.register(SocialIdentity)
class SocialIdentityAdmin(admin.ModelAdmin):
    list_display = ["network", "handle", "external_id", "person", "followers", "workspace"]
    list_filter = ["workspace", "network"]
    search_fields = ["handle", "external_id", "display_name"]
    raw_id_fields = ["person"]


@admin.register(Merge)
class MergeAdmin(admin.ModelAdmin):
    """Read-only: merges are made and undone through the services, which keep what moved."""

    list_display = ["id", "kept", "absorbed", "actor_label", "created_at", "undone_at", "workspace"]
    list_filter = ["workspace"]
    raw_id_fields = ["kept", "absorbed", "actor_user", "review_item"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["id", "left", "right", "score", "status", "source", "decided_by_label", "workspace"]
    list_filter = ["workspace", "status", "source"]
    raw_id_fields = ["left", "right", "decided_by"]


@admin.register(MatchSettings)
class MatchSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", "link_threshold", "review_threshold", "decisions_fitted", "updated_at"]
    readonly_fields = ["params", "decisions_fitted"]
