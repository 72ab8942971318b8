"""files' use cases, by topic: attachments (upload, list, delete, the sweep), catalogue (the
types admins maintain, the attachment page), access (who may view, signed links, the read
model of workflow's reviewers), photo (the ID-photo crop), rights (the person's export and
account closure)."""
from .access import get_attachment, make_link, of_instance, resolve_link, view
from .attachments import Owner, delete, list_mine, receive, store, sweep, upload
from .catalogue import create_type, list_types, slots, update_type
from .photo import crop

__all__ = ["get_attachment", "make_link", "of_instance", "resolve_link", "view", "Owner",
           "delete", "list_mine", "receive", "store", "sweep", "upload", "create_type",
           "list_types", "slots", "update_type", "crop"]
