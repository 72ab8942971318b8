"""The gateway: one entry for every client (see app.py); embedded.py runs the whole system
in one process."""
