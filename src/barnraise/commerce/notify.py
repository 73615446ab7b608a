"""Tell the parties about a transition: an event-log consumer, run after commit.

Who is told, and the notification's title, are the step's own (`Transition.say`).
"""

from django.utils.html import escape
from django.utils.translation import gettext as _

from barnraise.commerce import processes
from barnraise.commerce.models import TransactionEvent
from barnraise.notifications.services import notification_send


def on_event(event: TransactionEvent) -> None:
    tx = event.transaction
    step = processes.get(tx.process, tx.process_version).transition(event.name)
    if step is None or step.say is None or not step.say.notify:
        return
    parties = {"customer": tx.customer, "provider": tx.provider}
    # The title is text the template does not escape: only the listing's title is escaped, as before.
    headline = str(step.say.headline or _("Update on “%(listing)s”")) % {"listing": escape(tx.listing.title)}
    for party in step.say.notify:
        notification_send(
            recipient=parties[party],
            kind="transaction_update",
            context={
                "event": event.name,
                "listing": tx.listing.title,
                "state": event.to_state,
                "headline": headline,
            },
            url=f"/transactions/{tx.id}/",
        )
