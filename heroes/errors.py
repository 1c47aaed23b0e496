"""Machine codes the hero endpoints and services answer with (besides the shared ones)."""

UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND"
UPLOAD_MISSING = "UPLOAD_MISSING"
UPLOAD_ALREADY_USED = "UPLOAD_ALREADY_USED"
INVALID_IMAGE = "INVALID_IMAGE"
