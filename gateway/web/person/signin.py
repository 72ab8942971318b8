"""登录 (账号 / 短信 / 扫码), 退出登录, and 注册 → 实名认证 → 完成 (seed 000 图 3–9)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from .. import auth
from ..auth import api, login_required
from ..client import ApiError
from . import bp


def new_captcha() -> dict:
    captcha = api().post("identity", "captchas")
    return {"id": captcha["captcha_id"],
            "src": f"/api/identity/captchas/{captcha['captcha_id']}.png"}


def _after_sign_in(pair: dict):
    me = auth.sign_in(pair)
    from ..review.signin import home_of
    target = auth.safe_next(request.args.get("next"), home_of(me))
    return redirect(target)


@bp.route("/captcha", methods=["POST"])
def captcha_partial():
    """换一张 (htmx): a fresh captcha fragment."""
    return render_template("person/_captcha.html", captcha=new_captcha())


@bp.route("/login", methods=["GET", "POST"])
def login():
    values, errors, captcha, message = {}, {}, None, None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("username", "captcha_code")}
        body = {"username": values["username"].strip(), "password": request.form.get("password", ""),
                "captcha_id": request.form.get("captcha_id") or None,
                "captcha_code": values["captcha_code"].strip() or None}
        try:
            return _after_sign_in(api().post("identity", "tokens", body))
        except ApiError as error:
            if error.status >= 500:
                raise
            if error.code in ("totp-required", "totp-enrolment-required"):
                flash("工作人员请使用工作人员登录：输入密码和动态验证码", "info")
                return redirect(url_for("review.login", username=body["username"],
                                        next=request.args.get("next")))
            message, errors = error.detail, error.errors
            # The API asks for a captcha after a failure: from now on every try shows one.
            if error.code == "captcha-required" or body["captcha_id"] or "captcha_code" in errors:
                session["login_captcha"] = True
    if session.get("login_captcha"):
        captcha = new_captcha()
    return render_template("person/login.html", values=values, errors=errors, captcha=captcha,
                           message=message, tab="password", providers=oidc_providers())


def sms_sign_in(purpose: str, exchange):
    """手机号 + 图形验证码 + 短信验证码, the step 个人短信登录 and the unit's 手机号登录/注册
    share: action=send asks identity for a code (`purpose`: login, unit_register); otherwise
    `exchange(values)` trades the code for a session and answers with the page to go to.
    Returns that answer, or (values, errors, message, sent) for the form to show again."""
    values, errors, message, sent = {}, {}, None, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("phone", "captcha_code", "sms_code")}
        try:
            if request.form.get("action") == "send":
                sent = api().post("identity", "sms-codes", {
                    "phone": values["phone"], "purpose": purpose,
                    "captcha_id": request.form.get("captcha_id"),
                    "captcha_code": values["captcha_code"]})
                message = "短信验证码已发送，5 分钟内有效"
            else:
                return exchange(values)
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
        values["captcha_code"] = ""  # a captcha answers once: a new one is shown
    return values, errors, message, sent


@bp.route("/login/sms", methods=["GET", "POST"])
def login_sms():
    step = sms_sign_in("login", lambda values: _after_sign_in(api().post(
        "identity", "tokens/sms", {"phone": values["phone"], "sms_code": values["sms_code"]})))
    if not isinstance(step, tuple):
        return step
    values, errors, message, sent = step
    return render_template("person/login_sms.html", values=values, errors=errors,
                           captcha=new_captcha(), message=message, sent=sent, tab="sms")


def _qr_svg(content: str) -> str:
    import segno  # the QR sign-in tab only: not loaded in every gateway process

    return segno.make(content, error="m").svg_inline(scale=5, dark="#1b1b1b", light="#ffffff",
                                                       title="扫码登录二维码")


@bp.route("/login/qr", methods=["GET"])
def login_qr():
    created = api().post("identity", "qr-logins")
    session["qr_poll"] = created["poll_token"]
    link = url_for("person.qr_confirm", qr_id=created["qr_id"], _external=True)
    return render_template("person/login_qr.html", svg=_qr_svg(link), link=link,
                           expires_in=created["expires_in"], tab="qr",
                           state={"status": "pending", "message": created.get("message")
                                  or "请使用手机扫描二维码"})


@bp.route("/login/qr/poll", methods=["POST"])
def login_qr_poll():
    """Polled by htmx every 2 s (or the 刷新状态 button without JavaScript)."""
    token = session.get("qr_poll")
    if not token:
        state = {"status": "expired", "message": "二维码已失效，请刷新"}
    else:
        try:
            state = api().post("identity", "qr-logins/poll", {"poll_token": token})
        except ApiError as error:
            state = {"status": "expired", "message": error.detail}
    if state.get("tokens"):
        session.pop("qr_poll", None)
        auth.sign_in(state["tokens"])
        if request.headers.get("HX-Request"):
            response = render_template("person/_qr_state.html", state=state)
            return response, 200, {"HX-Redirect": url_for("person.home")}
        return redirect(url_for("person.home"))
    if request.headers.get("HX-Request"):
        return render_template("person/_qr_state.html", state=state)
    return redirect(url_for("person.login_qr"))


@bp.route("/qr/<qr_id>", methods=["GET", "POST"])
@login_required
def qr_confirm(qr_id):
    """The phone's page (APP 授权登录, 图 9): scanning marks it 扫描成功 on the PC."""
    if request.method == "POST":
        approve = request.form.get("approve") == "1"
        state = api().post("identity", f"qr-logins/{qr_id}/confirm", {"approve": approve})
        return render_template("person/qr_confirm.html", state=state, done=True, qr_id=qr_id)
    state = api().post("identity", f"qr-logins/{qr_id}/scan")
    return render_template("person/qr_confirm.html", state=state, done=False, qr_id=qr_id)


@bp.route("/logout", methods=["POST"])
def logout():
    auth.sign_out()
    flash("您已安全退出", "info")
    return redirect(url_for("person.login"))


# --- 注册 → 实名认证 → 完成 ------------------------------------------------------------------

REGISTER_FIELDS = ("username", "phone", "captcha_code", "sms_code")


@bp.route("/register", methods=["GET", "POST"])
def register():
    values, errors, message, sent = {}, {}, None, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in REGISTER_FIELDS}
        values["agree"] = request.form.get("agree") == "on"
        try:
            if request.form.get("action") == "send":
                sent = api().post("identity", "sms-codes", {
                    "phone": values["phone"], "purpose": "register",
                    "captcha_id": request.form.get("captcha_id"),
                    "captcha_code": values["captcha_code"]})
                message = "短信验证码已发送，5 分钟内有效"
            else:
                registered = api().post("identity", "registrations", {
                    "username": values["username"], "phone": values["phone"],
                    "sms_code": values["sms_code"], "password": request.form.get("password"),
                    "password_confirm": request.form.get("password_confirm"),
                    "agree": values["agree"]})
                auth.sign_in(registered["tokens"])
                return redirect(url_for("person.real_name"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
        values["captcha_code"] = ""  # a captcha serves once
    return render_template("person/register.html", values=values, errors=errors,
                           captcha=new_captcha(), message=message, sent=sent, step=1)


@bp.route("/register/real-name", methods=["GET", "POST"])
@login_required
def real_name():
    """实名认证 (registration step 2, or later from 个人中心): 认证 or 暂不认证; a mismatch says
    核对后重新交验; an ID bound to another account offers 换绑 or 人工申诉."""
    values, errors, message, bound = {}, {}, None, False
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "id_number")}
        values["consent"] = request.form.get("consent") == "on"
        try:
            if request.form.get("action") == "skip":
                api().post("identity", "me/real-name/skip")
            else:
                api().post("identity", "me/real-name", {
                    **values, "consent_version": request.form.get("consent_version") or None})
                auth.refresh_user(verified=True, name=values["name"])
            return redirect(url_for("person.registered"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
            bound = error.code == "id-bound"
            if bound:
                session["rebind"] = values
    # The separate consent to processing the ID number (PIPL): its text as identity gives it.
    notice = api().get("identity", "consents/id-number")
    return render_template("person/real_name.html", values=values, errors=errors,
                           message=message, bound=bound, step=2, notice=notice)


@bp.route("/register/rebind", methods=["GET", "POST"])
@login_required
def rebind():
    """换绑: a code sent to the phone of the account that holds the ID number proves control of
    it (knowing a name and a number is not enough); the ID then moves to this account."""
    values = session.get("rebind") or {}
    person = {"name": values.get("name", ""), "id_number": values.get("id_number", "")}
    errors, message, sent = {}, None, None
    if request.method == "POST":
        try:
            if request.form.get("action") == "send":
                sent = api().post("identity", "me/sms-codes", {
                    **person, "purpose": "rebind", "captcha_id": request.form.get("captcha_id"),
                    "captcha_code": request.form.get("captcha_code", "").strip()})
                message = (f"短信验证码已发送到原认证账号绑定的手机 {sent.get('phone', '')}，"
                           "请向该手机持有人获取")
            else:
                api().post("identity", "me/real-name/rebind", {
                    **person, "sms_code": request.form.get("sms_code", "").strip()})
                session.pop("rebind", None)
                auth.refresh_user(verified=True, name=values.get("name"))
                return redirect(url_for("person.registered"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    return render_template("person/rebind.html", values=values, errors=errors, message=message,
                           sent=sent, captcha=new_captcha(), step=2)


@bp.route("/register/appeal", methods=["GET", "POST"])
@login_required
def appeal():
    """人工申诉: name, ID, reason and a proof (uploaded to 附件管理 first)."""
    values = dict(session.get("rebind") or {})
    errors, message = {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("name", "id_number", "reason")}
        try:
            upload = request.files.get("evidence")
            evidence = None
            if upload and upload.filename:
                evidence = api().upload("files", "attachments", {"category": "id_card"}, "file",
                                        upload.filename, upload.stream, upload.mimetype)["id"]
            api().post("identity", "me/appeals", {**values, "evidence_file_id": evidence})
            session.pop("rebind", None)
            flash("申诉已提交，请等待管理员审核，结果将在个人中心显示", "success")
            return redirect(url_for("person.me"))
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
            if "file" in errors:
                errors["evidence_file_id"] = errors.pop("file")
    return render_template("person/appeal.html", values=values, errors=errors, message=message,
                           step=2)


@bp.route("/register/done")
@login_required
def registered():
    status = api().get("identity", "me/registration")
    return render_template("person/registered.html", status=status, step=3)


@bp.route("/terms")
def terms():
    return render_template("person/terms.html")


@bp.route("/unit")
def unit_entry():
    """单位版: the unit's own sign-in (password, phone + SMS)."""
    return redirect(url_for("unit.login"))


# --- third-party sign-in (OIDC providers configured at identity) ---------------------------
# Each provider's redirect_uri (RENCAI_OIDC_PROVIDERS) is this site's /oidc/<name>/callback.

def oidc_providers() -> list[dict]:
    try:
        return api().get("identity", "oidc/providers")
    except ApiError:
        return []


@bp.route("/login/oidc/<provider>", methods=["POST"])
def login_oidc(provider):
    try:
        started = api().post("identity", f"oidc/{provider}/authorize")
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(error.detail, "warning")
        return redirect(url_for("person.login"))
    return _to_provider(started["authorization_url"])


@bp.route("/me/oidc/<provider>", methods=["POST"])
@login_required
def link_oidc(provider):
    """个人中心 → 关联第三方账号: the provider's page, then back to the callback."""
    try:
        started = api().post("identity", f"me/oidc/{provider}/authorize")
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(error.detail, "warning")
        return redirect(url_for("person.me"))
    return _to_provider(started["authorization_url"])


def _to_provider(url: str):
    """A page that moves on to the provider: CSP's form-action 'self' would stop a form's
    redirect to another site, a refresh (or the link) is a plain navigation."""
    return render_template("person/to_provider.html", url=url)


@bp.route("/oidc/<provider>/callback")
def oidc_callback(provider):
    try:
        result = api().post("identity", f"oidc/{provider}/callback", {
            "state": request.args.get("state", ""), "code": request.args.get("code", "")})
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(error.detail, "warning")
        return redirect(url_for("person.login"))
    if result.get("tokens"):
        auth.sign_in(result["tokens"])
        return redirect(url_for("person.home"))
    flash("第三方账号已关联，以后可用它登录", "success")
    return redirect(url_for("person.me"))
