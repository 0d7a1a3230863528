"""Two-factor authentication in a real browser: enrol from the account page with the keyboard,
then sign in with the password and a code from the authenticator."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tests.factories import make_user
from workqueue.clock import utcnow

pytestmark = pytest.mark.browser


def test_enrol_then_sign_in_with_a_code(page, live_server):
    with live_server.data() as db:
        make_user(db, "coordinator", username="tina", display_name="Tina Twofactor")
    base = live_server.url
    sign_in(page, base, "tina")

    page.goto(f"{base}/auth/account")
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor authentication").click()
    page.wait_for_url("**/auth/account/mfa")
    qr = page.locator("svg.mfa-qr")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150  # drawn, not blocked by the CSP
    secret = page.locator("[data-secret]").get_attribute("data-secret")

    code_field = page.get_by_label("6-digit code from your authenticator app")
    expect(code_field).to_be_focused()  # straight to typing, no mouse
    page.keyboard.type(pyotp.TOTP(secret).at(utcnow()))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    codes = page.locator("li.recovery-code")
    expect(codes).to_have_count(8)
    assert re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", codes.first.inner_text())
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.locator("main")).to_contain_text("On since")
    page.goto(f"{base}/")
    sign_out(page)

    page.get_by_label("Username").fill("tina")
    page.get_by_label("Password").fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/auth/login/code")
    page.goto(f"{base}/")  # nothing else opens before the code
    page.wait_for_url(re.compile(r"/auth/login\?next="))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.go_back()
    page.wait_for_url("**/auth/login/code")
    field = page.get_by_label("6-digit code from your authenticator app")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    # The next step: the last one is spent.
    field.fill(pyotp.TOTP(secret).at(utcnow().timestamp() + 30))
    field.press("Enter")
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.locator(".user-chip")).to_contain_text("Tina Twofactor")
