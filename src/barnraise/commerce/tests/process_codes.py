"""The process data's codes where human words belong: what the every-page test
(web/tests/test_every_page_privacy.py) and the every-email test (test_deal_emails.py) look for."""

import re

from barnraise.commerce import processes
from barnraise.commerce.processes import words


def _process_codes() -> list[str]:
    """Every state and step name of the process data that is a code rather than a word
    (`payment_pending`, `accept_offer`), as the code and as a careless page would print it,
    unless the process data's own words for it read the same ("Confirm receipt")."""
    names, words_used = set(), {str(w).casefold() for w in words.STATES.values()}
    for process in processes.PROCESSES.values():
        names |= {*process.states, *(t.name for t in process.transitions)}
        words_used |= {str(t.button).casefold() for t in process.transitions}
    codes = sorted(n for n in names if "_" in n)
    spoken = [c.replace("_", " ") for c in codes if c.replace("_", " ").casefold() not in words_used]
    return codes + spoken


CODES = re.compile(r"\b(" + "|".join(re.escape(c) for c in _process_codes()) + r")\b", re.IGNORECASE)
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def codes_shown(html: str) -> list[str]:
    """The process data's codes in what a person reads (the text, not the markup: a form's
    hidden value may carry a step's name). Plain text passes through unchanged."""
    return sorted({m.group(0) for m in CODES.finditer(TAGS.sub(" ", html))})
