"""Back-office admin for social identities."""

from django.contrib import admin

from rapport.identity.models import SocialIdentity


@admin.register(SocialIdentity)
class SocialIdentityAdmin(admin.ModelAdmin):
    list_display = ["network", "handle", "external_id", "person", "followers", "workspace"]
    list_filter = ["workspace", "network"]
    search_fields = ["handle", "external_id", "display_name"]
    raw_id_fields = ["person"]
