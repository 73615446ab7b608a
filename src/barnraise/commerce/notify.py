"""Tell the parties about a transition: an event-log consumer, run after commit.

Who is told, and the notification's title, are the step's own (`Transition.say`).
"""

from django.utils.translation import gettext as _

from barnraise.commerce import processes
from barnraise.commerce.models import TransactionEvent
from barnraise.notifications.services import notification_send


def on_event(event: TransactionEvent) -> None:
    tx = event.transaction
    process = processes.get(tx.process, tx.process_version)
    step = process.transition(event.name)
    if step is None or step.say is None or not step.say.notify:
        return
    parties = {"customer": tx.customer, "provider": tx.provider}
    awaits = process.awaiting(event.to_state)
    headline = str(step.say.headline or _("Update on “%(listing)s”")) % {"listing": tx.listing.title}
    for party in step.say.notify:
        notification_send(
            recipient=parties[party],
            kind="transaction_update",
            context={
                "event": event.name,
                "listing": tx.listing.title,
                "what": f"{event.actor.name} {step.done}" if event.actor else step.done.capitalize(),
                "awaits": awaits.what if awaits else "",
                "headline": headline,
            },
            url=f"/transactions/{tx.id}/",
        )
