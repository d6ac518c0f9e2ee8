"""The app in real Pyodide, in headless Chromium, through the real pyshell app server."""

from playwright.sync_api import expect


def test_starts_with_sample_tasks(pyshell_page) -> None:
    expect(pyshell_page.locator("#list .task")).to_have_count(3)
    expect(pyshell_page.locator("#count")).to_have_text("2 tasks left")


def test_add_edit_delete(pyshell_page) -> None:
    page = pyshell_page
    page.fill("#new-title", "Write the docs")
    page.press("#new-title", "Enter")
    expect(page.locator("#list .task")).to_have_count(4)
    expect(page.locator("#list .task").last).to_contain_text("Write the docs")
    expect(page.locator("#new-title")).to_have_value("")

    page.locator(".title", has_text="Write the docs").dblclick()
    edit = page.locator(".edit-input")
    expect(edit).to_be_focused()
    edit.fill("Write better docs")
    edit.press("Enter")
    expect(page.locator("#list")).to_contain_text("Write better docs")

    page.locator(".task", has_text="Write better docs").locator(".delete").click()
    expect(page.locator("#list .task")).to_have_count(3)


def test_filters_and_shortcuts(pyshell_page) -> None:
    page = pyshell_page
    page.locator(".task", has_text="Ship it").locator(".toggle").check()
    expect(page.locator("#count")).to_have_text("1 task left")
    page.click('[data-filter="done"]')
    expect(page.locator("#list .task")).to_have_count(2)
    page.keyboard.press("Alt+2")
    expect(page.locator("#list .task")).to_have_count(1)
    page.locator("body").click()
    page.keyboard.press("/")
    expect(page.locator("#new-title")).to_be_focused()
    expect(page.locator("#new-title")).to_have_value("")


def test_tasks_survive_a_restart(pyshell_page, pyshell_restart) -> None:
    pyshell_page.fill("#new-title", "Remember me")
    pyshell_page.press("#new-title", "Enter")
    expect(pyshell_page.locator("#list .task")).to_have_count(4)
    page = pyshell_restart()  # a new app server and page, same data folder
    expect(page.locator("#list .task")).to_have_count(4)
    expect(page.locator("#list")).to_contain_text("Remember me")


def test_titles_show_as_typed_never_as_markup(pyshell_page) -> None:
    page = pyshell_page
    title = '<b>bold</b> & <img src=x onerror="alert(1)">'
    page.fill("#new-title", title)
    page.press("#new-title", "Enter")
    expect(page.locator("#list .title").last).to_have_text(title)
    expect(page.locator("#list b, #list img")).to_have_count(0)


def test_text_typed_and_not_saved_is_kept_when_the_window_closes(pyshell_page,
                                                                  pyshell_restart) -> None:
    page = pyshell_page
    page.fill("#new-title", "Call the bank")  # not added
    page.locator(".title", has_text="Ship it").dblclick()
    page.locator(".edit-input").fill("Ship it on Friday")  # neither Enter nor a click away
    page.dispatch_event("html", "pyshell:close")  # what the window does when it is closed
    page.locator("html:not([data-pyshell-busy])").wait_for(state="attached")
    page = pyshell_restart()
    expect(page.locator("#list")).to_contain_text("Ship it on Friday")
    expect(page.locator("#new-title")).to_have_value("Call the bank")
    expect(page.locator("#list .task")).to_have_count(3)  # a draft, not a task
