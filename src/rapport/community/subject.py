"""Community's part of access exports and erasures: the person's memberships and what they wrote."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from rapport.community.models import Answer, CommunityMember, PostEdit, Question
from rapport.consent.subject import Subject, register_subject_data

ERASED = "[erased]"


def _members(subject: Subject):
    return CommunityMember.objects.filter(workspace_id=subject.workspace_id, person_id__in=subject.person_ids)


def _export(subject: Subject) -> list[dict[str, Any]]:
    out = []
    for member in _members(subject):
        out.append(
            {
                "handle": member.handle,
                "email": member.email,
                "away_notice": member.away_notice,
                "joined": member.created_at.isoformat(),
                "questions": list(Question.objects.filter(author=member).values("id", "title", "body", "created_at")),
                "answers": list(Answer.objects.filter(author=member).values("id", "question_id", "body", "created_at")),
                "edits": list(
                    PostEdit.objects.filter(editor=member).values(
                        "question_id",
                        "answer_id",
                        "title_before",
                        "title_after",
                        "body_before",
                        "body_after",
                        "edited_at",
                    )
                ),
                "suspensions": list(member.suspensions.values("reason", "until", "created_at", "lifted_at")),
            }
        )
    return out


def _erase(subject: Subject) -> dict[str, int]:
    """What they wrote is blanked (the threads others answered in stay readable); the member is anonymised, so
    reputation statistics and accepted answers keep their counts without naming anyone."""
    from rapport.community import expertise, search

    members = list(_members(subject).values_list("pk", flat=True))
    theirs = list(Question.objects.filter(author_id__in=members).select_related("category"))
    questions = Question.objects.filter(author_id__in=members).update(title=ERASED, body=ERASED, tags=[])
    for q in theirs:  # their tags were their words too: the topic rows and others' expertise on them follow
        old = {t.topic for t in q.topics.all()}
        q.tags = []
        expertise.index_question(q)
        expertise.refresh_question(q, topics=old)
    touched = {q.pk for q in theirs} | set(
        Answer.objects.filter(author_id__in=members).values_list("question_id", flat=True)
    )
    answers = Answer.objects.filter(author_id__in=members).update(body=ERASED)
    # The edit history of their posts, and their edits elsewhere, held their words too (erasure overrides the
    # history's append-only rule: only the text goes, the record of an edit stays).
    PostEdit.objects.filter(
        Q(editor_id__in=members) | Q(question__author_id__in=members) | Q(answer__author_id__in=members)
    ).update(title_before=ERASED, title_after=ERASED, body_before=ERASED, body_after=ERASED)
    search.refresh(touched)  # the search index held their words too
    search.forget()
    for pk in members:
        CommunityMember.objects.filter(pk=pk).update(
            handle=f"erased-{pk}", email="", password="", away_notice="", person=None, suspended=True
        )
    return {"community_members": len(members), "community_questions": questions, "community_answers": answers}


def _identifiers(subject: Subject) -> set[str]:
    return {h for h in _members(subject).values_list("handle", flat=True) if h}


def register() -> None:
    register_subject_data("community", _export, _erase, identifiers=_identifiers)
