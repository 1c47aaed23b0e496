"""Machine codes the media endpoints answer with (besides the shared ones)."""

UPLOAD_SIGNATURE_INVALID = "UPLOAD_SIGNATURE_INVALID"
