"""Usage writes, one module per flow; the names other apps use are re-exported here.

- work: the life of paid AI work (admit, run, start, check, stop, end), the one API every path
  that buys AI calls uses
- admission: the checks that admit or refuse work (consent, switches, block, plan, limits)
- spend: the usage log (the AI layer's sink), spend counters, cost reservations
- quota: the monthly story quota (check, charge, reset) and the family's e-mails about it
- alerts: the budget e-mails to staff
- controls: what staff change in the admin (switches, blocks, flags)
"""

from .admission import ai_consent_check, standing_flag
from .controls import runtime_settings_save, standing_block, standing_save, standing_unblock
from .quota import monthly_quota_reset, story_quota_charge
from .spend import moderation_records_purge, spend_counters_purge, usage_record
from .work import (
    AIWork,
    Piece,
    WorkStopped,
    ai_work,
    ai_work_abandon,
    ai_work_admit,
    ai_work_check,
    ai_work_end,
    ai_work_hand_over,
    ai_work_refusal,
    ai_work_renew,
    ai_work_running,
    ai_work_start,
    ai_work_stop,
    ai_work_stopped,
    ai_works_admit,
    ai_works_end_unclaimed,
    ai_works_release_stale,
)

__all__ = [
    "AIWork",
    "Piece",
    "WorkStopped",
    "ai_consent_check",
    "ai_work",
    "ai_work_abandon",
    "ai_work_admit",
    "ai_work_check",
    "ai_work_end",
    "ai_work_hand_over",
    "ai_work_refusal",
    "ai_work_renew",
    "ai_work_running",
    "ai_work_start",
    "ai_work_stop",
    "ai_work_stopped",
    "ai_works_admit",
    "ai_works_end_unclaimed",
    "ai_works_release_stale",
    "moderation_records_purge",
    "monthly_quota_reset",
    "runtime_settings_save",
    "spend_counters_purge",
    "standing_block",
    "standing_flag",
    "standing_save",
    "standing_unblock",
    "story_quota_charge",
    "usage_record",
]
