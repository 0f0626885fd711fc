"""Character-by-character differences between a claimed value and the registry's, for the
officer's case view ("Nguyễn" against "Nguyen": the ễ is marked)."""

from __future__ import annotations

from difflib import SequenceMatcher

from django.utils.html import format_html, format_html_join


def char_diff(claimed: str, registry: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both strings as (text, differs) segments: differing runs on each side are marked."""
    claimed, registry = claimed or "", registry or ""
    left, right = [], []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, claimed, registry, autojunk=False).get_opcodes():
        same = op == "equal"
        if a2 > a1:
            left.append((claimed[a1:a2], not same))
        if b2 > b1:
            right.append((registry[b1:b2], not same))
    return left, right


def render_segments(segments: list[tuple[str, bool]]) -> str:
    """Safe HTML: differing runs in <mark class="diff">."""
    return format_html_join("", "{}", (
        (format_html('<mark class="diff">{}</mark>', text) if differs else format_html("{}", text),)
        for text, differs in segments
    ))
