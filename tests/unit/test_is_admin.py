"""One meaning of "administrator" for every service (services/common/auth.py)."""
from services.common.auth import Claims, is_admin


def test_an_admin_is_a_staff_account_holding_the_role_admin():
    assert is_admin(Claims(sub="s-1", kind="staff", roles=("supervisor", "admin")))
    assert not is_admin(Claims(sub="s-2", kind="staff", roles=("supervisor",)))
    # Only staff accounts are given staff roles: a unit or person token carrying "admin"
    # anyway is not an administrator.
    assert not is_admin(Claims(sub="u-1", kind="unit", org="o-1", roles=("unit", "admin")))
    assert not is_admin(Claims(sub="p-1", kind="person", roles=("admin",)))
