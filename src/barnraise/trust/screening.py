"""Contact-detail screening: find phone numbers, email addresses, URLs and social handles in a
member's text, however they are disguised, and mask them.

Pure functions, no database: `screen(text, regions=...)` returns the masked text and what was
found. The rules are described in docs/safety.md; the table in tests/test_screening.py is the
specification.

Phone numbers are found in a normalized copy of the text, where spelled-out digits ("five five
five") and look-alike letters inside numbers ("O4l2") are turned into digits; every character of
the copy remembers where it came from, so a finding masks the original span.
"""

import itertools
import re
from dataclasses import dataclass, field

import phonenumbers
from django.utils.translation import gettext as _

PHONE = "phone"
EMAIL = "email"
URL = "url"
HANDLE = "handle"
KINDS = (PHONE, EMAIL, URL, HANDLE)

_SPELLED = {
    "zero": "0",
    "nought": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
# Letters that stand in for digits inside a number ("O4l2", "O6 l2 34 S6 78").
_LOOKALIKE = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "i": "1", "|": "1", "S": "5", "B": "8"})
_LOOKALIKE_CHARS = frozenset("OolIi|SB")
_REPEAT = {"double": 2, "triple": 3}

# Top-level domains worth recognising; a short list means fewer false hits on abbreviations
# ("e.g.", "approx."). Those that are also words ("ok.no", "thanks.me") count only after a scheme,
# "www." or in an email address, never in a bare domain.
TLDS = [
    "com",
    "net",
    "org",
    "info",
    "biz",
    "io",
    "co",
    "app",
    "dev",
    "xyz",
    "online",
    "site",
    "shop",
    "store",
    "link",
    "page",
    "uk",
    "de",
    "fr",
    "nl",
    "es",
    "pt",
    "ch",
    "se",
    "dk",
    "fi",
    "pl",
    "ie",
    "ca",
    "au",
    "nz",
    "eu",
    "ru",
    "br",
    "mx",
    "jp",
    "cn",
]
WORD_TLDS = ["me", "no", "in", "at", "it", "be", "us"]
_TLD = "(?:" + "|".join(sorted(TLDS + WORD_TLDS, key=len, reverse=True)) + ")"
_BARE_TLD = "(?:" + "|".join(sorted(TLDS, key=len, reverse=True)) + ")"
_MAIL_HOSTS = r"(?:gmail|googlemail|hotmail|outlook|live|yahoo|icloud|proton(?:mail)?|gmx|aol|mail)"

_AT_REAL = r"(?:\s*@\s*|\s*\(@\)\s*)"
_AT_SPELLED = r"(?:\s*[\(\[\{<]\s*at\s*[\)\]\}>]\s*|\s+at\s+)"
_DOT_SPELLED = r"(?:\s*[\(\[\{<]\s*dot\s*[\)\]\}>]\s*|\s+dot\s+)"
_DOT = rf"(?:\s*\.\s*|{_DOT_SPELLED})"
# Bounded repeats: "a dot a dot a dot …" must not make the search quadratic.
_LOCAL = rf"(?<![\w.+-])[\w.+-]{{1,64}}(?:{_DOT_SPELLED}[\w+-]{{1,64}}){{0,3}}"
_HOST = rf"[a-z][a-z0-9-]{{0,62}}(?:{_DOT}[a-z0-9-]{{1,63}}){{0,3}}"
_EMAIL_RE = re.compile(
    rf"{_LOCAL}{_AT_REAL}{_HOST}{_DOT}{_TLD}\b"
    # "at" written out: a word TLD ("in", "it") only when "dot" is too, so "up at 5.In" passes.
    rf"|{_LOCAL}{_AT_SPELLED}{_HOST}(?:\s*\.\s*{_BARE_TLD}|{_DOT_SPELLED}{_TLD})\b"
    rf"|{_LOCAL}(?:{_AT_REAL}|{_AT_SPELLED}){_MAIL_HOSTS}\b"
    rf"|\b{_MAIL_HOSTS}\s*[:=]\s*[\w.+-]{{3,64}}",
    re.IGNORECASE,
)
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+"
    rf"|\bwww{_DOT}[a-z0-9-]{{1,63}}(?:{_DOT}[a-z0-9-]{{1,63}}){{0,3}}{_DOT}{_TLD}\b"
    r"|\b(?:wa\.me|t\.me|m\.me|bit\.ly|linktr\.ee)/\S*"
    rf"|(?<![\w@.-])(?:[a-z0-9-]{{1,63}}\.){{1,4}}{_BARE_TLD}\b(?:/[^\s]*)?"
    rf"|(?<![\w@.-])[a-z0-9-]{{2,63}}(?:\s*[\(\[\{{<]\s*dot\s*[\)\]\}}>]\s*|\s+dot\s+){_TLD}\b",
    re.IGNORECASE,
)
_PLATFORMS = (
    r"(?:insta(?:gram)?|ig|snap(?:chat)?|telegram|tg|whats\s?app|facebook|fb|twitter|tiktok|discord|"
    r"skype|wechat|kik|viber)"
)
_ANY_PLATFORM = rf"(?:{_PLATFORMS[3:-1]}|signal|messenger|threads)"
_HANDLE = r"@?[a-z0-9_][a-z0-9_.]{2,29}"
# Words people write after an @ that are not handles ("see you @home").
_NOT_HANDLES = r"(?:home|work|school|noon|night|midnight|the|my|your|station|office|all|everyone)\b"
_HANDLE_RE = re.compile(
    rf"(?<![\w@.])@(?!{_NOT_HANDLES})[a-z_][a-z0-9_.]{{1,29}}"
    rf"|\b{_PLATFORMS}\s*[:=@]\s*{_HANDLE}"
    rf"|\bmy\s+{_ANY_PLATFORM}\s+(?:(?:handle|name|id|account)\s+)?(?:is\s+|:\s*){_HANDLE}"
    rf"|\b{_ANY_PLATFORM}\s+(?:handle|name|id|account)\s*(?:is\s+|:\s*)?{_HANDLE}"
    rf"|\b(?:add|find|follow|dm|message|text|reach|contact)\s+me\s+(?:on|at|via)\s+{_ANY_PLATFORM}\s+"
    rf"{_HANDLE}",
    re.IGNORECASE,
)
# A run of digits as people write phone numbers: groups joined by spaces, dashes, dots, brackets.
_RUN_RE = re.compile(r"(?<![A-Za-z])\+?\(?\d[\d \t\-./()]*\d")
_DATE_RE = re.compile(r"^\d{1,4}[.\-/ ]\d{1,2}[.\-/ ]\d{1,4}$")
_MIN_DIGITS, _MAX_DIGITS = 7, 15
_MIN_SPELLED_RUN = 3  # "five five five" on its own is already a disguised number


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Screened:
    text: str
    # Overlapping findings are merged under the kind of the first (an email holds a domain).
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def kinds(self) -> list[str]:
        return sorted({f.kind for f in self.findings})

    @property
    def clean(self) -> bool:
        return not self.findings


def mask_token() -> str:
    return _("[hidden]")


def reasons(kinds: list[str]) -> list[str]:
    """What to tell the sender, one sentence per kind found."""
    text = {
        PHONE: _("Phone numbers are hidden until the deal is accepted."),
        EMAIL: _("Email addresses are hidden until the deal is accepted."),
        URL: _("Links and web addresses are hidden until the deal is accepted."),
        HANDLE: _("Social media handles are hidden until the deal is accepted."),
    }
    return [text[kind] for kind in KINDS if kind in kinds]


@dataclass
class _Normalized:
    text: str
    origin: list[tuple[int, int]]  # per character: the span of the original it came from
    disguised: list[bool]  # per character: came from a spelled-out word or a look-alike


def _normalize(text: str) -> _Normalized:
    out: list[str] = []
    origin: list[tuple[int, int]] = []
    disguised: list[bool] = []
    tokens = list(re.finditer(r"[^\W_]+|\s+|.", text, re.S))
    words = [m.group().lower() for m in tokens]

    def emit(value: str, span: tuple[int, int], flag: bool) -> None:
        for char in value:
            out.append(char)
            origin.append(span)
            disguised.append(flag)

    def neighbour(index: int, step: int) -> str:
        j = index + step
        while 0 <= j < len(words) and words[j].isspace():
            j += step
        return words[j] if 0 <= j < len(words) else ""

    def numberish(index: int) -> bool:
        return any(w.isdigit() or w in _SPELLED for w in (neighbour(index, -1), neighbour(index, 1)))

    def spoken(index: int) -> str | None:
        """The digit a word reads out: "five", or "oh" next to other digits."""
        word = words[index] if 0 <= index < len(words) else ""
        if word in _SPELLED:
            return _SPELLED[word]
        return "0" if word in ("o", "oh") and numberish(index) else None

    def next_index(index: int) -> int:
        j = index + 1
        while j < len(words) and words[j].isspace():
            j += 1
        return j

    def between_spelled(index: int) -> bool:
        """Digits on both sides of a comma, at least one side spelled out."""
        before, after = neighbour(index, -1), next_index(index)
        after_word = words[after] if after < len(words) else ""
        after_spoken = spoken(after) is not None or after_word in _REPEAT
        return (before in _SPELLED and (after_spoken or after_word.isdigit())) or (
            before.isdigit() and after_spoken
        )

    repeat, repeat_start = 1, 0
    for index, match in enumerate(tokens):
        token, word, span = match.group(), words[index], match.span()
        if word in _REPEAT and spoken(next_index(index)) is not None:
            repeat, repeat_start = _REPEAT[word], span[0]
            continue  # "double five": the digits that follow carry this word's span too
        digit = spoken(index)
        if digit is not None:
            emit(digit * repeat, (repeat_start, span[1]) if repeat > 1 else span, True)
        elif token in (",", ";", "/") and between_spelled(index):
            emit(" ", span, True)  # "one two, three four" is one number read out in pairs
        elif any(c.isdigit() for c in token) and set(token) - set("0123456789") <= _LOOKALIKE_CHARS:
            converted = token.translate(_LOOKALIKE)
            emit(converted, span, converted != token)
        else:
            emit(token, span, False)
        if not word.isspace():
            repeat = 1
    return _Normalized("".join(out), origin, disguised)


def _valid_phone(raw: str, regions: tuple[str, ...]) -> bool:
    """A valid number in one of `regions`, or anywhere when written with a leading +."""
    for region in (None,) if raw.startswith("+") else regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


def _phones(text: str, regions: tuple[str, ...]) -> list[Finding]:
    norm = _normalize(text)
    found: list[Finding] = []
    for match in _RUN_RE.finditer(norm.text):
        raw = match.group().strip(" \t-./")
        if raw.startswith("(") and ")" not in raw:
            raw = raw[1:]  # "(0123 456 789)": the bracket belongs to the sentence, not the number
        start = match.start() + match.group().index(raw[0])
        end = start + len(raw)
        digits = re.sub(r"\D", "", raw)
        if not digits:
            continue
        disguised = any(norm.disguised[start:end])
        spelled_run = disguised and _spelled_run(norm, start, end)
        if len(digits) < _MIN_DIGITS and not spelled_run:
            continue
        if len(digits) > _MAX_DIGITS and not disguised:
            continue
        if _DATE_RE.match(raw) and not disguised:
            continue
        if spelled_run or (disguised and len(digits) >= _MIN_DIGITS) or _valid_phone(raw, regions):
            found.append(Finding(PHONE, norm.origin[start][0], norm.origin[end - 1][1]))
    return found


def _spelled_run(norm: _Normalized, start: int, end: int) -> bool:
    """Enough spelled-out digits to be a disguised number, and not counting ("one, two, three")."""
    spelled = [int(norm.text[i]) for i in range(start, end) if norm.disguised[i] and norm.text[i].isdigit()]
    steps = {b - a for a, b in itertools.pairwise(spelled)}
    counting = len(spelled) < _MIN_DIGITS and steps in ({1}, {-1})
    return len(spelled) >= _MIN_SPELLED_RUN and not counting


def _merge(findings: list[Finding]) -> tuple[Finding, ...]:
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Finding(last.kind, last.start, max(last.end, finding.end))
        else:
            merged.append(finding)
    return tuple(merged)


def screen(text: str, *, regions: tuple[str, ...] = ("GB", "US", "FR")) -> Screened:
    """Find contact details in `text` and return it with each one masked.

    `regions` are the ISO country codes whose national phone formats count (numbers written with a
    leading + are recognised whatever the region).
    """
    findings = [Finding(EMAIL, *m.span()) for m in _EMAIL_RE.finditer(text)]
    findings += [Finding(URL, *m.span()) for m in _URL_RE.finditer(text)]
    findings += [Finding(HANDLE, *m.span()) for m in _HANDLE_RE.finditer(text)]
    findings += _phones(text, regions)
    merged = _merge(findings)
    if not merged:
        return Screened(text)
    pieces, cursor = [], 0
    for finding in merged:
        pieces += [text[cursor : finding.start], mask_token()]
        cursor = finding.end
    pieces.append(text[cursor:])
    return Screened("".join(pieces), merged)
