"""aiosmtpd handler for the notifier tests: every message is refused with 550 after DATA."""


class Reject550:
    async def handle_DATA(self, server, session, envelope):
        return "550 5.7.1 Message rejected by policy (test)"
