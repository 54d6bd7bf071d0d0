"""Back-office admin for people, organisations and touchpoints."""

from django.contrib import admin

from rapport.contacts.models import Affiliation, Organization, Person, Touchpoint


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "lifecycle_stage", "workspace", "updated_at"]
    list_filter = ["workspace", "lifecycle_stage"]
    search_fields = ["first_name", "last_name", "email", "phone", "external_id", "customer_number"]
    raw_id_fields = ["merged_into"]
    inlines = [AffiliationInline]
    show_full_result_count = False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "industry", "city", "workspace"]
    list_filter = ["workspace", "kind"]
    search_fields = ["name", "domain"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "person", "kind", "channel", "title", "workspace"]
    list_filter = ["workspace", "kind", "channel"]
    raw_id_fields = ["person"]
    show_full_result_count = False
