"""What files publishes (it consumes nothing yet).

  files.attachment.uploaded    {attachment_id, owner_id, category, sha256, size}
  files.attachment.deleted     {attachment_id, owner_id}
"""
