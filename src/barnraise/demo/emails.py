"""Demo deal emails: one step's email in the operator's own words, so the console's deal
emails (/console/emails/) show an edited one beside the defaults, and the outbox uses it."""

from barnraise.accounts.models import User
from barnraise.commerce import emails
from barnraise.commerce.models import DealEmailText

SUBJECT = "Your stay at {listing} is confirmed"
TEXT = (
    "Hello {customer},\n\n"
    "Good news: {provider} accepted your booking of {listing}.\n\n"
    "{dates}\n{money}\n\n"
    "{next}\n\n"
    "Questions about the stay? Message {provider} from the deal's page."
)


def seed_email_texts(operator: User) -> int:
    """The booking's acceptance, as the customer reads it in the site's language, reworded (once)."""
    if DealEmailText.objects.exists():
        return 0
    emails.email_text_save(
        actor=operator,
        process="booking",
        transition="accept",
        audience="customer",
        language=emails.site_language(),
        subject=SUBJECT,
        text=TEXT,
    )
    return 1
