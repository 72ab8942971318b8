"""Signing keys from the command line (RENCAI_DATABASE_URL of identity, RENCAI_SIGNING_KEK):

    python -m services.identity.keys rotate     a new signing key signs from now on
    python -m services.identity.keys rewrap     re-seal the signing keys under the current KEK
                                                (the previous one in RENCAI_SIGNING_KEK_OLD)
"""
import sys

from services.common.config import Settings
from services.common.db import Database

from .service import tokens
from .service.tokens import jwks, rewrap_signing_keys, rotate_signing_key

if __name__ == "__main__":
    if sys.argv[1:] not in (["rotate"], ["rewrap"]):
        sys.exit(__doc__)
    settings = Settings.from_env("identity")
    tokens.configure_kek(settings)
    db = Database(settings.database_url)
    if sys.argv[1] == "rewrap":
        print("signing keys re-sealed:", rewrap_signing_keys(db))
        sys.exit(0)
    print("new signing key:", rotate_signing_key(db))
    print("published:", ", ".join(key["kid"] for key in jwks(db)["keys"]))
