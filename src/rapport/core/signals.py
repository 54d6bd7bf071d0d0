"""Tokens follow their user's credentials: a new password or a deactivated account revokes every API token."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from rapport.core.actors import Actor
from rapport.core.models import User


@receiver(pre_save, sender=User, dispatch_uid="rapport.core.tokens_follow_credentials.pre")
def _note_credential_changes(sender, instance: User, raw: bool = False, **kwargs) -> None:
    instance._rapport_revoke = None
    if raw or instance.pk is None:
        return
    # set_password() leaves the plain password in _password until the save; Django's own hash upgrade on login
    # clears it first, so a rehash of the same password is not taken for a new one.
    if getattr(instance, "_password", None) is not None:
        instance._rapport_revoke = "password changed"
    elif not instance.is_active and User.objects.filter(pk=instance.pk, is_active=True).exists():
        instance._rapport_revoke = "user deactivated"


@receiver(post_save, sender=User, dispatch_uid="rapport.core.tokens_follow_credentials.post")
def _revoke_on_credential_change(sender, instance: User, created: bool = False, **kwargs) -> None:
    reason = getattr(instance, "_rapport_revoke", None)
    if reason and not created:
        from rapport.core.services import revoke_user_tokens

        revoke_user_tokens(user=instance, actor=Actor.system(f"{reason}: {instance.email}"), reason=reason)
    instance._rapport_revoke = None
