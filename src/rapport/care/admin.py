"""Back-office admin for teams, agents, SLA policies, canned replies and conversations."""

from django.contrib import admin

from rapport.care.models import AgentProfile, CannedReply, Conversation, Message, SLAPolicy, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "strategy", "languages", "networks", "workspace"]
    list_filter = ["workspace", "strategy"]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "capacity", "languages", "workspace"]
    list_filter = ["workspace", "status"]
    raw_id_fields = ["user"]
    filter_horizontal = ["teams"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "name",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "active",
        "workspace",
    ]
    list_display_links = ["name"]
    list_filter = ["workspace", "active"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name", "text"]


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "direction", "network", "external_id", "text", "delivery_status", "attempts"]
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["pk", "person", "status", "channel", "priority", "assignee", "team", "sla_due_at", "workspace"]
    list_filter = ["workspace", "status", "channel"]
    raw_id_fields = ["person", "identity", "assignee", "brand_channel"]
    inlines = [MessageInline]
    show_full_result_count = False
