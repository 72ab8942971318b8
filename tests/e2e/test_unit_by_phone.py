"""The unit registered by phone (seed 003; issue 11 §1), embedded: register by phone →
单位认证 → 业务权限开通 → 需求申报, every step at once after the one before (no bus thread
runs here: only the synchronous internal calls can have made each answer true)."""
from services.identity.model import Captcha
from tests import flows_unit_by_phone as flows


def test_unit_registered_by_phone_certifies_opens_the_permission_and_declares(gateway,
                                                                             embedded):
    db = embedded.kit("identity").db

    def captcha_answer(captcha_id: str) -> str:
        with db.reading() as session:
            return session.get(Captcha, captcha_id).answer

    flows.unit_registered_by_phone_declares(gateway, captcha_answer)
