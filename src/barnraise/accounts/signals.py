"""What accounts tells the apps above it, inside the transaction of the change.

accounts sits below the event log, so its doors cannot write events themselves: they send these
signals in the transaction of the change, and the event log (which connects to them in its
`ready()`) records the event there, so the change and its event commit or roll back together.
"""

from django.dispatch import Signal

# A pending identity document was approved or rejected: document, actor, approved (bool).
document_reviewed = Signal()
