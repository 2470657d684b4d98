"""Rate budgets per (platform app, credential, rate group), shared by every worker.

``RateBudget.acquire(group)`` answers how long to wait before the next request of ``group`` may be
sent (zero: it is counted as sent now); ``observe(...)`` feeds back the server's
``X-Rate-Limit-*`` headers and 429s; ``headroom(group)`` tells, without counting, when a slot
frees (a pool of credentials sends through the budget that frees first). State lives in a
:class:`BudgetStore`: in-process (:class:`MemoryBudgetStore`), in the database
(:class:`SqlBudgetStore`, one row per key, read and written in one short locking transaction) or
in Redis (:class:`RedisBudgetStore`, one key each, WATCH/MULTI optimistic transactions), so
several worker processes share it; :func:`open_budget_store` chooses from the settings
(``CALLBRIDGE_RATELIMIT_URL``).
"""

from callbridge.ratelimit.budget import GroupLimit, RateBudget, UsageSnapshot
from callbridge.ratelimit.store import (
    BudgetState,
    BudgetStore,
    MemoryBudgetStore,
    RedisBudgetStore,
    SqlBudgetStore,
    check_ratelimit_url,
    open_budget_store,
)

__all__ = [
    "BudgetState",
    "BudgetStore",
    "GroupLimit",
    "MemoryBudgetStore",
    "RateBudget",
    "RedisBudgetStore",
    "SqlBudgetStore",
    "UsageSnapshot",
    "check_ratelimit_url",
    "open_budget_store",
]
