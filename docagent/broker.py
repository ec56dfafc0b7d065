"""The embedded default's broker: kombu's SQLAlchemy transport over a SQLite file, polled
every 0.1 s instead of every second (a waited query pays at least one poll per hop).

kombu hands every transport option to ``create_engine``, so the interval cannot be passed as
an option; ``install`` points the ``sqla`` alias at this subclass instead.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport.sqlalchemy import Transport

POLL_S = 0.1


class SqliteTransport(Transport):
    polling_interval = POLL_S


def install() -> None:
    TRANSPORT_ALIASES["sqla"] = "docagent.broker:SqliteTransport"
    TRANSPORT_ALIASES["sqlalchemy"] = "docagent.broker:SqliteTransport"
