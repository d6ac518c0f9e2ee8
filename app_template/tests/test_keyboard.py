"""Everything from the keyboard alone, with focus kept where the user is and every change
said in the live region (#status) for screen readers."""

from playwright.sync_api import expect


def tab_to(page, selector: str, back: bool = False, limit: int = 30) -> None:
    """Press Tab (Shift+Tab with ``back``) until ``selector`` has the focus."""
    for _ in range(limit):
        if page.locator(f"{selector}:focus").count():
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} never got the focus")


def focused(page):
    return page.locator(":focus")


def test_add_toggle_edit_delete_and_clear_with_the_keyboard(pyshell_page) -> None:
    page = pyshell_page
    expect(page.locator("#new-title")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type("Write docs")
    page.keyboard.press("Enter")
    status = page.locator("#status")
    expect(status).to_have_text("Added Write docs.")
    expect(page.locator("#new-title")).to_be_focused()

    toggle = page.get_by_role("checkbox", name="Done: Write docs")
    tab_to(page, '.toggle[data-id="4"]')
    toggle.evaluate("el => { el.marked = 'same element'; }")
    page.keyboard.press("Space")
    expect(status).to_have_text("Write docs: done.")
    expect(toggle).to_be_checked()
    expect(toggle).to_be_focused()  # the list was re-rendered; the checkbox is the same one
    assert toggle.evaluate("el => el.marked") == "same element"

    page.keyboard.press("Tab")
    expect(focused(page)).to_have_accessible_name("Edit Write docs")
    page.keyboard.press("Enter")
    editor = page.get_by_role("textbox", name="Rename Write docs")
    expect(editor).to_be_focused()
    page.keyboard.type("Write better docs")  # the old title was selected: typing replaces it
    page.keyboard.press("Enter")
    expect(status).to_have_text("Renamed to Write better docs.")
    expect(focused(page)).to_have_accessible_name("Edit Write better docs")

    page.keyboard.press("Enter")
    expect(page.locator(".edit-input")).to_be_focused()
    page.keyboard.type("not this")
    page.keyboard.press("Escape")
    expect(page.locator(".edit-input")).to_have_count(0)
    expect(focused(page)).to_have_accessible_name("Edit Write better docs")

    page.keyboard.press("Tab")
    expect(focused(page)).to_have_accessible_name("Delete Write better docs")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Deleted Write better docs.")
    expect(page.locator("#list .task")).to_have_count(3)
    expect(focused(page)).to_have_accessible_name("Edit Ship it")  # the row before it

    tab_to(page, "#clear-done", back=True)
    page.keyboard.press("Enter")
    expect(status).to_have_text("Cleared 1 done task.")
    expect(page.locator("#list .task")).to_have_count(2)
    expect(page.locator("#new-title")).to_be_focused()


def test_focus_moves_on_when_its_row_leaves_the_view(pyshell_page) -> None:
    page = pyshell_page
    page.keyboard.press("Alt+2")  # Active: "Edit app/main.py" and "Ship it"
    expect(page.locator("#status")).to_have_text("Showing active tasks: 2.")
    tab_to(page, ".toggle")
    expect(focused(page)).to_have_accessible_name("Done: Edit app/main.py")
    page.keyboard.press("Space")  # done: it leaves the Active view
    expect(page.locator("#list .task")).to_have_count(1)
    expect(focused(page)).to_have_accessible_name("Done: Ship it")
    page.keyboard.press("Alt+3")  # Done: the focused row is filtered out
    expect(page.locator('[data-filter="done"]')).to_be_focused()
