"""Web forms for people and organisations; validation itself lives in the services."""

from django import forms

from rapport.contacts.models import Organization, Person


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
