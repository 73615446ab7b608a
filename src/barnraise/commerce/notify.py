"""Tell the parties about a transition: an event-log consumer, run after commit.

Who is told is the step's own (`Transition.say.notify`); what they read, in the app and by
email, is the step's email for that party (`barnraise.commerce.emails`), in the party's
language (`emails.language_of`): the operator's wording in that language, else the default
translated into it.
"""

from django.utils import translation

from barnraise.commerce import emails, processes
from barnraise.commerce.models import TransactionEvent
from barnraise.notifications.services import notification_send


def on_event(event: TransactionEvent) -> None:
    tx = event.transaction
    process = processes.get(tx.process, tx.process_version)
    step = process.transition(event.name)
    if step is None or step.say is None or not step.say.notify:
        return
    parties = {"customer": tx.customer, "provider": tx.provider}
    deal = emails.Deal.of(tx)
    for party in step.say.notify:
        recipient = parties[party]
        language = emails.language_of(recipient)
        with translation.override(language):  # the actor's name ("Our team") and the HTML part too
            actor = emails.actor_name_of(step, event.actor)
            email = emails.render(
                process=process, step=step, audience=party, deal=deal, actor_name=actor, language=language
            )
            notification_send(
                recipient=recipient,
                kind="transaction_update",
                context={
                    "event": event.name,
                    "listing": tx.listing.title,
                    "headline": email.subject,
                    "text": email.text,
                    "deal_link": email.link,
                },
                url=deal.path,
            )
