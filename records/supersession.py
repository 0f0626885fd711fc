"""What a correction tells the rooms above ``records``: a signed version was replaced.

``records`` is the ground floor and imports no room above it, yet when a correction
replaces a signed version, that version's signatures must be marked superseded in the same
transaction. So the correction *emits* what happened (``signed_version_replaced``) and a
room that cares registers its reaction once, from its ``AppConfig.ready()`` (signing:
``signatures_supersede``).

Why this and not signing reading supersession lazily from the record's status: the
signature's own status, its ``superseded_at`` and its ``signature.supersede`` audit event
are written at the moment of the correction (the daily reports count superseded
signatures by that time, and a verifier sees the status at once). Not a Django signal: the
reactions are plain functions, called in order inside the correction's transaction, and
registered in one visible place per room.
"""

from __future__ import annotations

from collections.abc import Callable

from records.models import InjectionRecord

Reaction = Callable[..., object]
_reactions: list[Reaction] = []


def react_to_signed_version_replaced(reaction: Reaction) -> None:
    """Call ``reaction(record=, actor=)`` whenever a correction replaces a signed version."""
    if reaction not in _reactions:
        _reactions.append(reaction)


def signed_version_replaced(*, record: InjectionRecord, actor) -> None:
    """Tell every registered room that the signed ``record`` is being replaced by ``actor``."""
    for reaction in _reactions:
        reaction(record=record, actor=actor)
