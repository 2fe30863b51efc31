"""aiosmtpd handlers for the notifier tests.

RefuseTypo: a Maildir sink (like aiosmtpd.handlers.Mailbox) that refuses, at RCPT TO, every
address whose local part starts with "typo" (550 5.1.1), the way a real server refuses an
unknown mailbox; the other recipients of the same message are accepted.
"""
import asyncio

from aiosmtpd.handlers import Mailbox


class RefuseTypo(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("typo"):
            return "550 5.1.1 <%s>: mailbox unknown (test)" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"


class StoreNoAnswer(Mailbox):
    """Stores the message, then drops the connection without answering the end of DATA:
    a relay that crashed, or a network that broke, right after storing it. The client
    cannot tell this from a relay that lost the message."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        server.transport.abort()
        return "250 OK"   # never reaches the client


class StoreHang(Mailbox):
    """Stores the message and never answers its end of DATA (the connection stays open):
    the copy stays in flight until the notifier is killed."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(3600)
        return "250 OK"
