"""`{{ text|markdown }}`: a member's Markdown rendered through the sanitiser (rapport.community.markdown)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from rapport.community import markdown as md

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return mark_safe(md.render(text))  # noqa: S308 - the output of the allow-list sanitiser
