"""Rate budgets per (platform app, credential, rate group), shared by every worker.

``RateBudget.acquire(group)`` answers how long to wait before the next request of ``group`` may be
sent (zero: it is counted as sent now); ``observe(...)`` feeds back the server's
``X-Rate-Limit-*`` headers and 429s. State lives in a :class:`BudgetStore`: in-process
(:class:`MemoryBudgetStore`) or in the database (:class:`SqlBudgetStore`, one row per key, read
and written in one short locking transaction, so several worker processes share it).
"""

from callbridge.ratelimit.budget import GroupLimit, RateBudget, UsageSnapshot
from callbridge.ratelimit.store import BudgetState, BudgetStore, MemoryBudgetStore, SqlBudgetStore

__all__ = [
    "BudgetState",
    "BudgetStore",
    "GroupLimit",
    "MemoryBudgetStore",
    "RateBudget",
    "SqlBudgetStore",
    "UsageSnapshot",
]
