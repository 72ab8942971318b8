"""A signed link opened with inline=1 (办理 shows the file inside the page: a PDF in a frame,
an image) may be framed by this site only; without it, nobody may frame the file."""
from __future__ import annotations

from tests.service.test_files import PDF, post_file
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401


def test_inline_signed_link_may_be_framed_by_this_site_only(client, token):
    alice = token()
    degree = post_file(client, alice, PDF, "学位证.pdf", "degree").get_json()["id"]
    path = client.post(f"/attachments/{degree}/links", headers=alice).get_json()["url"] \
        .removeprefix("/api/files")
    plain = client.get(path)
    assert plain.headers["X-Frame-Options"] == "DENY"
    assert plain.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    inline = client.get(path + "?inline=1")
    assert inline.status_code == 200 and inline.get_data() == PDF
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert inline.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert inline.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert inline.headers["Cache-Control"] == "private, no-store"
