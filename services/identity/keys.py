"""Signing-key rotation from the command line:

    python -m services.identity.keys rotate     (RENCAI_DATABASE_URL of identity)
"""
import sys

from services.common.config import Settings
from services.common.db import Database

from .service.tokens import jwks, rotate_signing_key

if __name__ == "__main__":
    if sys.argv[1:] != ["rotate"]:
        sys.exit(__doc__)
    db = Database(Settings.from_env("identity").database_url)
    print("new signing key:", rotate_signing_key(db))
    print("published:", ", ".join(key["kid"] for key in jwks(db)["keys"]))
