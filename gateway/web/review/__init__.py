"""审核工作台: the reviewers' pages for every staff role (用人单位 as reviewer too, 归口单位,
市局, 区委人才办 初审 / 复审, 评审专家, 竞赛组委会): sign-in with the second factor, 待办, 办理,
已办, 专家评审, the 区委人才办 export, the committee's competitions (issue 13)."""
import functools

from flask import Blueprint, redirect, request, url_for

from .. import auth

bp = Blueprint("review", __name__, url_prefix="/review")

# Who works here: staff, and units (they review affiliation requests and their employees'
# applications). The services decide what each may see; this only keeps citizens out.
REVIEWER_KINDS = ("staff", "unit")


def reviewer_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = auth.user()
        if not auth.signed_in() or not user:
            return redirect(url_for("review.login", next=request.full_path.rstrip("?")))
        if user.get("kind") not in REVIEWER_KINDS:
            from flask import abort
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def has_role(role: str) -> bool:
    return role in ((auth.user() or {}).get("roles") or [])


@bp.app_context_processor
def _review_globals():
    return {"has_role": has_role}


from . import signin, inbox, task, export, competitions  # noqa: E402,F401
