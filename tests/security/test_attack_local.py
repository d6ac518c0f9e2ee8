"""Group 2: another local process, without the window's secret, against a running app.

It can find the port (a scan of 127.0.0.1 takes a moment), so it is given the port here,
and it asks every route: while the app starts (before the window has opened its link),
while and after the window runs, with and without guessed credentials. It must get
nothing: no page, no token, no cookie, no file, no snapshot.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from attack import ROUTES, assert_nothing_given, launch_browser_mode, probe_everything, raw_request

from pyshell.testing import start_server, wait_until_started

pytestmark = pytest.mark.page


def test_nothing_for_another_process_before_during_and_after_the_window(
        app_dir: Path, tmp_path: Path, private_cache: Path, pyshell_browser) -> None:
    app = launch_browser_mode(app_dir, tmp_path)
    try:
        link = app.link()
        assert_nothing_given(probe_everything(app.port))  # the app is up, no window yet
        context = pyshell_browser.new_context()
        page = context.new_page()
        page.goto(link)
        wait_until_started(page)
        assert page.url == f"http://127.0.0.1:{app.port}/"  # the code left the address bar
        (cookie,) = context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        secret = cookie["value"]
        assert_nothing_given(probe_everything(app.port), secret)  # while the window runs
        # The link again, as a process that read it (from ps, a log) would use it: refused.
        again = raw_request(app.port, "GET", link.removeprefix(f"http://127.0.0.1:{app.port}"))
        assert again.status == 403 and "set-cookie" not in again.headers
        late = pyshell_browser.new_context()
        assert late.new_page().goto(link).status == 403  # a second browser: refused too
        late.close()
        # Guessed or stolen-looking credentials: a made-up cookie, the token header alone.
        forged = {"Cookie": f"{cookie['name']}=guess", "x-pyshell-token": "guess"}
        assert_nothing_given(probe_everything(app.port, forged), secret)
        page.reload()  # the window itself: reloads keep working (pyshell dev reloads too)
        wait_until_started(page)
        context.close()
        assert_nothing_given(probe_everything(app.port), secret)  # after the window
    finally:
        err = app.stop()
    assert "Traceback" not in err, err[-4000:]


def test_requests_racing_the_window_at_start_get_nothing(
        app_dir: Path, pyshell_folders, pyshell_browser) -> None:
    """A process hammering every route while the window opens and boots the app."""
    server = start_server(app_dir, pyshell_folders, cold=True)
    answers = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set() and len(answers) < 50 * len(ROUTES):
            answers.extend(probe_everything(server.port))

    racer = threading.Thread(target=hammer)
    racer.start()
    try:
        context = pyshell_browser.new_context()
        page = context.new_page()
        page.goto(server.launch_url())
        wait_until_started(page)
        context.close()
    finally:
        stop.set()
        racer.join()
        server.stop()
    assert len(answers) >= len(ROUTES)
    for chunk in range(0, len(answers) - len(answers) % len(ROUTES), len(ROUTES)):
        assert_nothing_given(answers[chunk:chunk + len(ROUTES)], server.token)
    assert not any(server.session.holds_secret(a.text()) for a in answers)
