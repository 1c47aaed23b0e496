"""Machine codes the generation endpoints answer with (README lists them)."""

IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"
