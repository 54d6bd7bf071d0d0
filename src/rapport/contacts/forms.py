"""Web forms for people and organisations; validation itself lives in the services."""

from django import forms
from django.utils import timezone

from rapport.contacts.models import Organization, Person, TouchpointChannel, TouchpointDirection, TouchpointKind

# What an agent logs by hand; posts, purchases and vouchers arrive from connectors and imports.
_LOGGABLE_KINDS = {
    TouchpointKind.CALL,
    TouchpointKind.MEETING,
    TouchpointKind.EMAIL,
    TouchpointKind.CHAT,
    TouchpointKind.NOTE,
}
_LOGGABLE_CHANNELS = {
    TouchpointChannel.PHONE,
    TouchpointChannel.EMAIL,
    TouchpointChannel.CHAT,
    TouchpointChannel.STORE,
    TouchpointChannel.WEB,
    TouchpointChannel.OTHER,
}
LOGGABLE_KINDS = [(k, label) for k, label in TouchpointKind.choices if k in _LOGGABLE_KINDS]
LOGGABLE_CHANNELS = [(c, label) for c, label in TouchpointChannel.choices if c in _LOGGABLE_CHANNELS]


class PersonForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated")
    twitter = forms.CharField(required=False, label="Twitter/X handle")
    organisation = forms.CharField(required=False, label="Organisation")
    organisation_role = forms.CharField(required=False, label="Role there")

    class Meta:
        model = Person
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "lifecycle_stage",
            "customer_number",
            "external_id",
            "street",
            "city",
            "postcode",
            "region",
            "country",
            "date_of_birth",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])


class OrganizationForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated")

    class Meta:
        model = Organization
        fields = ["name", "kind", "domain", "industry", "size", "phone", "city", "country", "external_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])


class TouchpointForm(forms.Form):
    """An agent logs a call, meeting, email, chat or note on a person's timeline."""

    kind = forms.ChoiceField(choices=LOGGABLE_KINDS, initial=TouchpointKind.CALL)
    channel = forms.ChoiceField(choices=LOGGABLE_CHANNELS, initial=TouchpointChannel.PHONE)
    direction = forms.ChoiceField(
        choices=TouchpointDirection.choices, initial=TouchpointDirection.INBOUND, label="Who reached out"
    )
    occurred_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), required=False
    )
    title = forms.CharField(max_length=200, required=False, label="Subject")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What was said")

    def clean(self):
        data = super().clean()
        if not (data.get("title") or "").strip() and not (data.get("body") or "").strip():
            raise forms.ValidationError("Write a subject or what was said.")
        if data.get("occurred_at") and data["occurred_at"] > timezone.now():
            self.add_error("occurred_at", "That is in the future.")
        return data
