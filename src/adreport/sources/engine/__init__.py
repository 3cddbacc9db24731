"""The sync engine: one mechanism every connector pulls through.

`session` sends requests (auth, throttling, retries, waits), `paging` guards a
platform's paging, `auth` refreshes OAuth tokens, `writer` turns a slice's rows
into one committed merge with its checkpoint, and `run` drives a whole sync.
"""

from adreport.sources.engine.auth import OAuth2RefreshAuth
from adreport.sources.engine.clock import Clock, FakeClock, RealClock
from adreport.sources.engine.paging import PageGuard
from adreport.sources.engine.session import Counters, Policy, SyncSession

__all__ = [
    "Clock",
    "Counters",
    "FakeClock",
    "OAuth2RefreshAuth",
    "PageGuard",
    "Policy",
    "RealClock",
    "SyncSession",
]
