"""Contact-detail screening: find phone numbers, email addresses, URLs and social handles in a
member's text, however they are disguised, and mask them.

Pure functions, no database: `screen(text, regions=...)` returns the masked text and what was
found. The rules are described in docs/safety.md; the table in tests/test_screening.py is the
specification.

Phone numbers are found in a normalized copy of the text, where spelled-out digits ("five five
five") and look-alike letters inside numbers ("O4l2") are turned into digits; every character of
the copy remembers where it came from, so a finding masks the original span.
"""

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

# Top-level domains worth recognising without a scheme; a shorter list means fewer false hits on
# abbreviations ("e.g.", "approx.").
TLDS = [
    "com",
    "net",
    "org",
    "info",
    "biz",
    "io",
    "co",
    "me",
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
    "be",
    "es",
    "it",
    "pt",
    "ch",
    "at",
    "se",
    "no",
    "dk",
    "fi",
    "pl",
    "ie",
    "us",
    "ca",
    "au",
    "nz",
    "eu",
    "ru",
    "in",
    "br",
    "mx",
    "jp",
    "cn",
]
_TLD = "(?:" + "|".join(sorted(TLDS, key=len, reverse=True)) + ")"
_MAIL_HOSTS = r"(?:gmail|googlemail|hotmail|outlook|live|yahoo|icloud|proton(?:mail)?|gmx|aol|mail)"

_AT = r"(?:\s*@\s*|\s*[\(\[\{<]\s*at\s*[\)\]\}>]\s*|\s+at\s+|\s*\(@\)\s*)"
_DOT = r"(?:\s*\.\s*|\s*[\(\[\{<]\s*dot\s*[\)\]\}>]\s*|\s+dot\s+)"
_EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}{_AT}[a-z0-9-]{{1,63}}(?:{_DOT}[a-z0-9-]{{1,63}})*{_DOT}{_TLD}\b"
    rf"|(?<![\w.+-])[\w.+-]{{1,64}}{_AT}{_MAIL_HOSTS}\b",
    re.IGNORECASE,
)
_URL_RE = re.compile(
    r"\b(?:https?://|www\.)\S+"
    r"|\b(?:wa\.me|t\.me|m\.me|bit\.ly|linktr\.ee)/\S*"
    rf"|(?<![\w@.-])(?:[a-z0-9-]{{1,63}}\.)+{_TLD}\b(?:/[^\s]*)?"
    rf"|(?<![\w@.-])[a-z0-9-]{{2,63}}(?:\s*[\(\[\{{<]\s*dot\s*[\)\]\}}>]\s*|\s+dot\s+){_TLD}\b",
    re.IGNORECASE,
)
_PLATFORMS = (
    r"(?:insta(?:gram)?|ig|snap(?:chat)?|telegram|tg|whats\s?app|signal|facebook|fb|twitter|"
    r"tiktok|discord|skype|wechat|kik|viber|messenger|threads|x)"
)
_HANDLE_RE = re.compile(
    r"(?<![\w@.])@[a-z0-9_][a-z0-9_.]{1,29}"
    rf"|\b{_PLATFORMS}\s*(?::|=|-|@|\bis\b|\bhandle\b|\bname\b|\bid\b)\s*@?[a-z0-9_][a-z0-9_.]{{2,29}}"
    rf"|\b(?:add|find|follow|dm|message|text|reach|contact)\s+me\s+(?:on|at|via)\s+{_PLATFORMS}\s+@?"
    r"[a-z0-9_][a-z0-9_.]{2,29}",
    re.IGNORECASE,
)
# A run of digits as people write phone numbers: groups joined by spaces, dashes, dots, brackets.
_RUN_RE = re.compile(r"\+?\(?\d[\d \t\-.()]*\d")
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

    def between_spelled(index: int) -> bool:
        return neighbour(index, -1) in _SPELLED and neighbour(index, 1) in (*_SPELLED, *_REPEAT)

    repeat, repeat_start = 1, 0
    for index, match in enumerate(tokens):
        token, word, span = match.group(), words[index], match.span()
        if word in _REPEAT and neighbour(index, 1) in _SPELLED:
            repeat, repeat_start = _REPEAT[word], span[0]
            continue  # "double five": the digits that follow carry this word's span too
        if word in _SPELLED:
            emit(_SPELLED[word] * repeat, (repeat_start, span[1]) if repeat > 1 else span, True)
        elif word in ("o", "oh") and numberish(index):
            emit("0", span, True)
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
        raw = match.group().strip(" \t-.()")
        start = match.start() + match.group().index(raw[0])
        end = start + len(raw)
        digits = re.sub(r"\D", "", raw)
        if not digits:
            continue
        disguised = any(norm.disguised[start:end])
        spelled_run = disguised and _spelled_digit_count(norm, start, end) >= _MIN_SPELLED_RUN
        if len(digits) < _MIN_DIGITS and not spelled_run:
            continue
        if len(digits) > _MAX_DIGITS and not disguised:
            continue
        if _DATE_RE.match(raw) and not disguised:
            continue
        if spelled_run or (disguised and len(digits) >= _MIN_DIGITS) or _valid_phone(raw, regions):
            found.append(Finding(PHONE, norm.origin[start][0], norm.origin[end - 1][1]))
    return found


def _spelled_digit_count(norm: _Normalized, start: int, end: int) -> int:
    return sum(1 for i in range(start, end) if norm.disguised[i] and norm.text[i].isdigit())


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
