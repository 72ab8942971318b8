"""files' use cases, by topic: attachments (upload, list, delete, the sweep), catalogue (the
types admins maintain, the attachment page), access (who may view, signed links, the read
model of workflow's reviewers), photo (the ID-photo crop), rights (the person's export and
account closure)."""
from .attachments import Owner, delete, list_mine, receive, store, sweep, upload

__all__ = ["Owner", "delete", "list_mine", "receive", "store", "sweep", "upload"]
