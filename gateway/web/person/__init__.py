"""个人版: the citizen's pages (seeds 000, 001, 004)."""
from flask import Blueprint

bp = Blueprint("person", __name__)

from . import signin, home, profile, files, affiliation, apply, competitions, me  # noqa: E402,F401
