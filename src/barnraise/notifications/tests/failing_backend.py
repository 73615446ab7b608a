"""An email backend whose every send fails, as an unreachable SMTP server does."""

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp.example.com:587 refused the connection")
