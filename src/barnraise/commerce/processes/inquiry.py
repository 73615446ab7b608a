"""Inquiry: a conversation about a listing that takes no online deal (classifieds)."""

from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import INITIAL, Process, Transition

INQUIRY_V1 = Process(
    name="inquiry",
    version=1,
    kinds=("sale", "rental", "service", "request"),
    description="Ask about a listing. Either side closes the conversation.",
    final_states=("closed",),
    transitions=(
        Transition("inquire", (INITIAL,), "open", "customer", params=("message",), say=words.INQUIRE),
        Transition("close", ("open",), "closed", "customer", needs_verified_email=False, say=words.CLOSE),
        Transition(
            "close_by_provider",
            ("open",),
            "closed",
            "provider",
            needs_verified_email=False,
            say=words.CLOSE_BY_PROVIDER,
        ),
    ),
)
