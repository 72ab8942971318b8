"""Domain rules that need no I/O: what a username, phone, password, name and ID-card number
(GB 11643-1999, by python-stdnum) must look like, each broken rule with its own message
naming the field."""
from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from services.common.personal import mask_name  # noqa: F401  (one rule for every service)

USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
PHONE = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_CHARS = re.compile(r"^[!-~]+$")  # printable ASCII without the space
NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z ·.]*[\u4e00-\u9fffA-Za-z]$")
SMS_CODE = re.compile(r"^\d{6}$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def username_error(value: str | None) -> str | None:
    if _blank(value):
        return "请输入用户名"
    if not 6 <= len(value) <= 20:
        return "用户名应为 6-20 个字符"
    if not value[0].isascii() or not value[0].isalpha():
        return "用户名第一位必须是字母"
    if not USERNAME.match(value):
        return "用户名只能由字母和数字组成"
    return None


def phone_error(value: str | None) -> str | None:
    if _blank(value):
        return "请输入手机号"
    if not PHONE.match(value):
        return "手机号格式不正确，应为 11 位中国大陆手机号"
    return None


STAFF_PASSWORD_MIN = 10


@cache
def common_passwords() -> frozenset[str]:
    """The small list shipped beside this file (common_passwords.txt), lower-cased."""
    lines = (Path(__file__).with_name("common_passwords.txt")
             .read_text(encoding="utf-8").splitlines())
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def password_error(value: str | None, staff: bool = False) -> str | None:
    """The seed's rule for citizens (6-20 characters with a letter), English punctuation
    allowed, the commonest passwords refused; staff (reviewers, experts, committee, admins)
    need at least 10 characters."""
    if _blank(value):
        return "请设置密码"
    if staff and not STAFF_PASSWORD_MIN <= len(value) <= 64:
        return f"工作人员的密码应为 {STAFF_PASSWORD_MIN}-64 个字符"
    if not staff and not 6 <= len(value) <= 20:
        return "密码应为 6-20 个字符"
    if not PASSWORD_CHARS.match(value):
        return "密码只能由字母、数字和英文标点符号组成（不含空格）"
    if not re.search(r"[A-Za-z]", value):
        return "密码须包含字母"
    if value.lower() in common_passwords():
        return "该密码过于常见，容易被猜中，请换一个"
    return None


def name_error(value: str | None) -> str | None:
    if _blank(value):
        return "请输入姓名"
    if not 2 <= len(value) <= 30:
        return "姓名应为 2-30 个字符"
    if not NAME.match(value):
        return "姓名只能包含汉字、字母、空格或“·”"
    return None


ID_FORMAT = "身份证号格式不正确：前 17 位应为数字，最后一位为数字或 X"
ID_BIRTH_DATE = "身份证号中的出生日期不正确"


def id_number_error(value: str | None, today: date | None = None) -> str | None:
    """GB 11643 (area, birth date YYYYMMDD, sequence, check character), checked by
    python-stdnum's cn.ric; each exception it raises becomes our message for that rule.
    Two rules stay ours: a last character other than a digit or X is a format error (stdnum
    reports it as a wrong check character), and nobody was born before 1900 or after today."""
    if _blank(value):
        return "请输入身份证号"
    value = normalise_id_number(value)
    try:
        ric.validate(value)
    except InvalidLength:
        return "身份证号应为 18 位"
    except InvalidFormat:
        return ID_FORMAT
    except InvalidChecksum:
        return ID_FORMAT if value[17] not in "0123456789X" else "身份证号校验位不正确，请核对"
    except InvalidComponent:  # the birth date is not a date, or the area is not a county code
        try:
            ric.get_birth_date(value)
        except InvalidComponent:
            return ID_BIRTH_DATE
        return "身份证号的地区码不正确"
    born = ric.get_birth_date(value)
    if born.year < 1900 or born > (today or date.today()):
        return ID_BIRTH_DATE
    return None


def normalise_id_number(value: str) -> str:
    return ric.compact(value)


def with_check_digit(first17: str) -> str:
    """The full ID number for 17 digits (tests and demo data)."""
    # stdnum computes the check character of a whole number, ignoring its last character.
    return first17 + ric.calc_check_digit(first17 + "0")


def sms_code_error(value: str | None) -> str | None:
    if _blank(value):
        return "请输入短信验证码"
    if not SMS_CODE.match(value):
        return "短信验证码应为 6 位数字"
    return None
