"""Usage writes, one module per flow; the names other apps use are re-exported here.

- admission: ai_work_admit, the one door to paid AI work, and the end of admitted work
- spend: the usage log (the AI layer's sink), spend counters, cost reservations
- quota: the monthly story quota (check, charge, reset) and the family's e-mails about it
- alerts: the budget e-mails to staff
- controls: what staff change in the admin (switches, blocks, flags)
"""

from .admission import (
    Admission,
    ai_consent_check,
    ai_work_admit,
    ai_work_may_run,
    ai_work_release,
    ai_work_settle,
)
from .controls import runtime_settings_save, standing_block, standing_save, standing_unblock
from .quota import monthly_quota_reset, story_quota_charge
from .spend import (
    cost_reservations_release_stale,
    moderation_records_purge,
    spend_counters_purge,
    usage_record,
)

__all__ = [
    "Admission",
    "ai_consent_check",
    "ai_work_admit",
    "ai_work_may_run",
    "ai_work_release",
    "ai_work_settle",
    "cost_reservations_release_stale",
    "moderation_records_purge",
    "monthly_quota_reset",
    "runtime_settings_save",
    "spend_counters_purge",
    "standing_block",
    "standing_save",
    "standing_unblock",
    "story_quota_charge",
    "usage_record",
]
