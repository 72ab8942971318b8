"""首页 / 办事大厅 (seed 000 图 12): 通知公告, 业务提示 (unread marked), 人才服务列表 with each
service's state or the reason it can't start, 有效证件, 当前在办业务."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from .. import auth
from ..auth import api, login_required
from . import bp

# Where a service of the catalogue starts in the browser (default: the start form).
ENTRIES = {"affiliation": "person.affiliation", "skills_competition": "person.competitions"}


def entry_url(process_key: str) -> str:
    endpoint = ENTRIES.get(process_key)
    return url_for(endpoint) if endpoint else url_for("person.apply", process_key=process_key)


@bp.route("/")
def home():
    if not auth.signed_in():
        return render_template("person/landing.html")
    user = auth.user()
    if user["kind"] != "person":  # units and staff have their own pages
        from ..review.signin import home_of
        return redirect(home_of(user))
    client = api()
    basic = client.get("identity", "me/basic")
    catalogue = [entry for entry in client.get("workflow", "catalogue")
                 if not (entry["reason"] or "").startswith("此业务仅限用人单位")]
    return render_template(
        "person/home.html", basic=basic, catalogue=catalogue, entry_url=entry_url,
        in_progress=client.get("workflow", "in-progress"),
        notices=client.get("workflow", "notices", per_page=5),
        prompts=client.get("workflow", "prompts", per_page=5),
        certificates=client.get("workflow", "me/certificates"))


@bp.route("/prompts/read", methods=["POST"])
@login_required
def read_prompts():
    api().post("workflow", "prompts/read")
    return redirect(url_for("person.home") + "#prompts")


@bp.route("/notices")
@login_required
def notices():
    page = request.args.get("page", 1, type=int)
    return render_template("person/notices.html",
                           notices=api().get("workflow", "notices", page=page, per_page=10))
