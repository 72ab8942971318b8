"""Units through the gateway: registration or sign-in by phone (seed 003), a password set
later, certification arriving from orgs, and USBKey certificate sign-in (challenge/response
against the configured CA certificates)."""
import base64
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import update

from services.common.db import utcnow
from services.identity.model import CertChallenge
from services.identity.service import create_account
from services.identity.service.units import on_unit_certified
from tests.service.identity_harness import Harness, new_phone

CREDIT_CODE = "91110105MA01C3XY7K"
UNIT_ORG = "00000000-0000-4000-8000-000000000102"


def _usage(**on):
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: on.get(name, False) for name in names})


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_unit_cert(ca_key, ca_cert, credit_code, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "北京星河软件有限公司"),
                         x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, credit_code)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:uscc:{credit_code}")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(key, nonce):
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(nonce.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.sign(nonce.encode(), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca("北京数字证书认证中心（测试）")


@pytest.fixture(scope="module")
def h(tmp_path_factory, ca):
    directory = tmp_path_factory.mktemp("identity-units")
    ca_file = directory / "unit-ca.pem"
    ca_file.write_text(pem(ca[1]))
    harness = Harness(directory / "var", unit_ca_file=str(ca_file), sms_resend_seconds=0)
    create_account(harness.db, harness.kit.outbox, username="xinghe", kind="unit",
                   display_name="北京星河软件有限公司", password="Unit123456", org_id=UNIT_ORG,
                   roles=["unit"], credit_code=CREDIT_CODE)
    yield harness
    harness.close()


def unit_session(h, phone):
    assert h.send_sms(phone, purpose="unit_register").status_code == 201
    return h.call("POST", "/units/phone-sessions",
                  {"phone": phone, "sms_code": h.last_sms_code(phone)})


# --- phone registration (seed 003) --------------------------------------------------------

def test_a_new_phone_registers_a_unit_and_then_signs_it_in(h):
    phone = new_phone()
    first = unit_session(h, phone)
    assert first.status_code == 201 and first.get_json()["registered"] is True
    assert first.get_json()["certified"] is False
    token = first.get_json()["tokens"]["access_token"]
    me = h.call("GET", "/me", token=token).get_json()
    # It acts for a unit of its own from the first token (orgs creates that unit from
    # identity.unit.registered, tests/e2e/test_unit_by_phone.py).
    assert me["kind"] == "unit" and me["phone"] == phone and me["org_id"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["org"] == me["org_id"] and claims["roles"] == ["unit"]
    again = unit_session(h, phone)
    assert again.status_code == 201 and again.get_json()["registered"] is False
    assert again.get_json()["tokens"]["access_token"]


def test_unit_phone_session_refuses_bad_input(h):
    assert h.call("POST", "/units/phone-sessions", {"phone": "1"}).get_json()["errors"] == {
        "phone": "手机号格式不正确，应为 11 位中国大陆手机号"}
    phone = new_phone()
    h.send_sms(phone, purpose="unit_register")
    wrong = h.call("POST", "/units/phone-sessions", {"phone": phone, "sms_code": "abcdef"})
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {
        "sms_code": "短信验证码应为 6 位数字"}
    person = h.register("personphone")
    taken = h.send_sms(person["phone"], purpose="unit_register")
    assert taken.status_code == 201  # the code goes out, but the phone is a person's
    reply = h.call("POST", "/units/phone-sessions",
                   {"phone": person["phone"], "sms_code": h.last_sms_code(person["phone"])})
    assert reply.status_code == 409 and reply.get_json()["errors"] == {
        "phone": "该手机号已注册为个人账号"}


def test_a_phone_unit_sets_a_password_and_then_signs_in_with_it(h):
    phone = new_phone()
    token = unit_session(h, phone).get_json()["tokens"]["access_token"]
    assert h.call("POST", "/tokens", {"username": phone, "password": "anything1"},
                  ip=h.new_ip()).status_code == 401
    mismatch = h.call("POST", "/me/password", {"new_password": "unit2026",
                                               "new_password_confirm": "unit2027"}, token=token)
    assert mismatch.get_json()["errors"] == {"new_password_confirm": "两次输入的密码不一致"}
    assert h.call("POST", "/me/password", {"new_password": "unit2026",
                                           "new_password_confirm": "unit2026"},
                  token=token).status_code == 204
    captcha_id, answer = h.captcha()  # it failed once above, so a captcha is asked for
    assert h.call("POST", "/tokens", {"username": phone, "password": "unit2026",
                                      "captcha_id": captcha_id, "captcha_code": answer},
                  ip=h.new_ip()).status_code == 201
    # From now on the old password is asked for.
    again = h.call("POST", "/me/password", {"new_password": "unit2030",
                                            "new_password_confirm": "unit2030"}, token=token)
    assert again.get_json()["errors"] == {"old_password": "原密码不正确"}


def test_certification_from_orgs_makes_the_account_act_for_the_unit(h):
    phone = new_phone()
    account_id = unit_session(h, phone).get_json()["tokens"]["access_token"]
    account_id = jwt.decode(account_id, options={"verify_signature": False})["sub"]
    with h.db.transaction() as session:
        on_unit_certified(session, {"data": {"unit_id": "unit-42", "account_id": account_id,
                                             "name": "北京某某科技有限公司",
                                             "credit_code": "91110000MA0000001X"}})
    reply = unit_session(h, phone)
    assert reply.get_json()["certified"] is True
    claims = jwt.decode(reply.get_json()["tokens"]["access_token"],
                        options={"verify_signature": False})
    assert claims["org"] == "unit-42" and claims["roles"] == ["unit"]


# --- certificate (USBKey) sign-in ---------------------------------------------------------

def challenge(h):
    reply = h.call("POST", "/cert-challenges")
    assert reply.status_code == 201
    return reply.get_json()


@pytest.mark.parametrize("algorithm", ["rsa", "ec"])
def test_a_unit_certificate_signs_the_nonce_and_signs_in(h, ca, algorithm):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) \
        if algorithm == "rsa" else None
    key, cert = make_unit_cert(*ca, CREDIT_CODE, key)
    c = challenge(h)
    reply = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(key, c["nonce"])})
    assert reply.status_code == 201, reply.get_json()
    claims = jwt.decode(reply.get_json()["access_token"], options={"verify_signature": False})
    assert claims["org"] == UNIT_ORG and claims["kind"] == "unit"
    assert claims["amr"] == ["certificate"]
    # The same challenge again: refused.
    replay = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(key, c["nonce"])})
    assert replay.status_code == 422 and replay.get_json()["errors"] == {
        "challenge_id": "登录挑战已失效，请重新获取"}


def test_a_forged_signature_is_refused(h, ca):
    _key, cert = make_unit_cert(*ca, CREDIT_CODE)
    thief = ec.generate_private_key(ec.SECP256R1())
    c = challenge(h)
    reply = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(thief, c["nonce"])}, ip=h.new_ip())
    assert reply.status_code == 401 and reply.get_json()["detail"] == "证书签名验证失败"


def test_a_certificate_from_another_ca_is_refused(h):
    other_ca = make_ca("伪造的证书机构")
    key, cert = make_unit_cert(*other_ca, CREDIT_CODE)
    c = challenge(h)
    reply = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(key, c["nonce"])}, ip=h.new_ip())
    assert reply.status_code == 401 and "受信任" in reply.get_json()["detail"]


def test_an_unknown_unit_or_expired_challenge_or_junk_is_refused(h, ca):
    key, cert = make_unit_cert(*ca, "91110000MA9999999Y")
    c = challenge(h)
    reply = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(key, c["nonce"])}, ip=h.new_ip())
    assert reply.status_code == 401 and reply.get_json()["detail"] == "该证书对应的单位尚未在平台注册"

    key, cert = make_unit_cert(*ca, CREDIT_CODE)
    c = challenge(h)
    with h.db.transaction() as session:
        session.execute(update(CertChallenge).where(CertChallenge.id == c["challenge_id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    late = h.call("POST", "/tokens/certificate", {
        "challenge_id": c["challenge_id"], "certificate": pem(cert),
        "signature": sign(key, c["nonce"])})
    assert late.status_code == 422 and late.get_json()["errors"] == {
        "challenge_id": "登录挑战已过期，请重新获取"}

    junk = h.call("POST", "/tokens/certificate", {"certificate": "not a cert",
                                                  "signature": "%%%"})
    assert junk.status_code == 422
    assert set(junk.get_json()["errors"]) == {"certificate", "signature", "challenge_id"}


def test_certificate_sign_in_is_off_without_ca_certificates(tmp_path):
    plain = Harness(tmp_path / "plain")
    try:
        assert plain.call("POST", "/cert-challenges").status_code == 404
    finally:
        plain.close()


def test_a_unit_app_session_confirms_a_qr_login_for_the_unit(h):
    """电子营业执照 / 事业单位电子证照 scan: the same QR flow, confirmed by the unit's app."""
    captcha_id, answer = h.captcha()  # the forged signature above counts as a failure
    app = h.call("POST", "/tokens", {"username": "xinghe", "password": "Unit123456",
                                     "captcha_id": captcha_id, "captcha_code": answer},
                 ip=h.new_ip()).get_json()["access_token"]
    pc = h.call("POST", "/qr-logins").get_json()
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/scan", token=app).status_code == 200
    assert h.call("POST", f"/qr-logins/{pc['qr_id']}/confirm", {}, token=app).status_code == 200
    done = h.call("POST", "/qr-logins/poll", {"poll_token": pc["poll_token"]}).get_json()
    claims = jwt.decode(done["tokens"]["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "unit" and claims["org"] == UNIT_ORG and claims["amr"] == ["qr"]
