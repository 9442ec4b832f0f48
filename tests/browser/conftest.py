"""Playwright in Debian's Chromium against pytest-django's live server.

Browser tests are skipped when no Chromium is installed, except where
CIVICPORT_REQUIRE_BROWSER=1 (CI sets it): there a missing browser is a failure.
"""

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CIVICPORT_CHROMIUM") or next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if shutil.which(p)), None
)
REQUIRED = os.environ.get("CIVICPORT_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("Chromium is required (CIVICPORT_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium not installed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}


def _new_page(browser, live_server, viewport=PHONE):
    """A page in a browser context of its own (its own cookies: one user each)."""
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport=viewport, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture
def page(browser, live_server):
    page = _new_page(browser, live_server)
    context = page.context
    yield page
    if os.environ.get("CIVICPORT_BROWSER_ARTIFACTS"):
        # Screenshots of the final state of each test, for looking at what users see.
        os.makedirs("test-artifacts", exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", os.environ.get("PYTEST_CURRENT_TEST", "page").split()[0])
        page.screenshot(path=f"test-artifacts/{name}.png", full_page=True)
    context.close()


@pytest.fixture
def seeded(transactional_db):
    """Reference data plus demo accounts, as `civicport seed --demo` loads them."""
    from civicport.core.seeding import run_seeders

    for _ in run_seeders(demo=True, scale=1):
        pass


@pytest.fixture
def logged_in(browser, live_server):
    """`logged_in(username, viewport=...)`: a new page, in a context of its own, logged in as
    that demo account (several users side by side in one test)."""
    from playwright.sync_api import expect

    from civicport.core.seeding import DEMO_PASSWORD

    pages = []

    def open_as(username, *, viewport=PHONE):
        page = _new_page(browser, live_server, viewport)
        pages.append(page)
        page.goto("/dang-nhap/")
        page.locator("[name=login]").fill(username)
        page.locator("[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        return page

    yield open_as
    for page in pages:
        page.context.close()
