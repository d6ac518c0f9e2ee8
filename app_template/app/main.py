"""The UI: render the task list into ui/index.html and react to the user."""

from __future__ import annotations

import json
from pathlib import Path

from pyshell import app, dom, files, updates
from pyshell.dom import Event
from pyshell.html import Markup, fragment, h
from pyshell.state import keep

from .tasks import FILTERS, Filter, Task, TaskList

# The app's data grant (see [[tool.pyshell.permissions.fs]] in pyproject.toml).
SAVED = Path("/data/tasks.json")
# A new task typed and not yet added when the window closed; back in its field next time.
DRAFT = Path("/data/draft.txt")


def _load() -> TaskList:
    if SAVED.exists():
        return TaskList.from_json(json.loads(SAVED.read_text(encoding="utf-8")))
    tasks = TaskList()
    for title in ("Try pyshell", "Edit app/main.py", "Ship it"):
        tasks.add(title)
    tasks.toggle(1)
    return tasks


# keep(): `pyshell dev` re-runs this module when you save it; the list and view survive.
tasks = keep("tasks", _load)
view: dict[str, object] = keep("view", lambda: {"filter": "all", "editing": None})


def main() -> None:
    render()
    if DRAFT.exists():
        dom.select("#new-title").value = DRAFT.read_text(encoding="utf-8")
        DRAFT.unlink()
    if updates.status().state != "off":  # an installed app with an update site
        show_update()
        dom.every(60_000, show_update)


def show_update() -> None:
    """“Update ready — restart” once the host has verified and staged a new version."""
    status = updates.status()
    if status.state == "ready":
        dom.select("#update").html = fragment(
            h("span", f"Version {status.version} is ready."),
            h("button", "Restart", type="button", id="restart-update"))
    dom.select("#update").hidden = status.state != "ready"


@dom.on("click", "#restart-update")
def restart_to_update(event: Event) -> None:
    updates.restart_to_update()  # the usual close first: what is typed is saved


def on_reload() -> None:
    """Called by `pyshell dev` after it has re-run changed modules: show the new code."""
    render()


def save() -> None:
    """Replace the whole list crash-safely (old or new content, never half a file).
    The page gets the new view first: a click never waits for the disk."""
    dom.flush()
    files.atomic_write(SAVED, json.dumps(tasks.to_json(), indent=1))


def render() -> None:
    """Draw the list. `el.html = ...` morphs the page's list into the new markup: rows
    that stay keep focus, selection and what is typed in them (matched by data-id)."""
    current: Filter = view["filter"]  # type: ignore[assignment]
    shown = tasks.visible(current)
    dom.select("#list").html = fragment(_item(task) for task in shown)
    empty = {"all": "Nothing to do yet. Add a task above.",
             "active": "All done!", "done": "Nothing finished yet."}[current]
    dom.select("#empty").text = "" if shown else empty
    left = tasks.remaining
    dom.select("#count").text = f"{left} task{'s' if left != 1 else ''} left"
    for name in FILTERS:
        dom.select(f'[data-filter="{name}"]').attr("aria-pressed", str(name == current).lower())
    dom.select("#clear-done").disabled = not any(t.done for t in tasks.tasks)
    if view["editing"] is not None:
        dom.select(".edit-input").focus(select=True)


def announce(text: str) -> None:
    """Say what changed to screen readers (the polite live region #status)."""
    dom.select("#status").text = text


def _shown_ids() -> list[int]:
    return [t.id for t in tasks.visible(view["filter"])]  # type: ignore[arg-type]


def _focus_row(task_id: int, before: list[int], control: str = ".title") -> None:
    """Keep keyboard focus in the list: on `control` in the task's row if it is still shown,
    else in the row that took its place (the next, else the previous), else on the new-task
    field."""
    shown = set(_shown_ids())
    at = before.index(task_id) if task_id in before else len(before)
    for candidate in [task_id, *before[at + 1:], *reversed(before[:at])]:
        if candidate in shown:
            dom.select(f'{control}[data-id="{candidate}"]').focus()
            return
    dom.select("#new-title").focus()


def _item(task: Task) -> Markup:
    """One row. h() escapes every text and attribute value: a title such as
    `<b>bold</b>` shows as typed, never as markup. Each control's name says which task
    it acts on ("Done: Buy milk", "Delete Buy milk"), as a screen reader reads it."""
    if view["editing"] == task.id:
        body = h("input", class_="edit-input", data_id=task.id, value=task.title,
                 aria_label=f"Rename {task.title}")
    else:
        body = h("button", task.title, type="button", class_="title", data_id=task.id,
                 aria_label=f"Edit {task.title}")
    return h("li", {"class": {"task": True, "done": task.done}, "data-id": task.id},
             h("input", type="checkbox", class_="toggle", data_id=task.id, checked=task.done,
               aria_label=f"Done: {task.title}"),
             body,
             h("button", "×", type="button", class_="delete", data_id=task.id,
               aria_label=f"Delete {task.title}", title="Delete"))


def _title(task_id: int) -> str:
    task = tasks.get(task_id)
    return task.title if task else ""


@dom.on("submit", "#new-task")
def add(event: Event) -> None:
    task = tasks.add(event.form.get("title", ""))
    if task:
        dom.select("#new-title").value = ""
        if view["filter"] == "done":
            view["filter"] = "all"
        render()
        announce(f"Added {task.title}.")
        save()


@dom.on("change", ".toggle")
def toggle(event: Event) -> None:
    task_id, before = int(event.data["id"]), _shown_ids()
    tasks.toggle(task_id)
    render()
    _focus_row(task_id, before, ".toggle")
    task = tasks.get(task_id)
    if task:
        announce(f"{task.title}: {'done' if task.done else 'not done'}.")
    save()


@dom.on("click", ".delete")
def delete(event: Event) -> None:
    task_id, before = int(event.data["id"]), _shown_ids()
    title = _title(task_id)
    tasks.delete(int(event.data["id"]))
    render()
    _focus_row(task_id, before)
    announce(f"Deleted {title}.")
    save()


@dom.on("click", ".title")
def start_edit(event: Event) -> None:
    """A click, Enter or Space on a task's title opens its editor."""
    view["editing"] = int(event.data["id"])
    render()


@dom.on("keydown", ".edit-input", keys=["Enter", "Escape"])
def finish_edit(event: Event) -> None:
    task_id, before = int(event.data["id"]), _shown_ids()
    if event.key == "Enter":
        old = _title(task_id)
        tasks.rename(task_id, event.value or "")
        new = _title(task_id)
        announce(f"Renamed to {new}." if new else f"Deleted {old}.")
    view["editing"] = None
    render()
    _focus_row(task_id, before)
    if event.key == "Enter":
        save()


@dom.on("focusout", ".edit-input")
def blur_edit(event: Event) -> None:
    if view["editing"] == int(event.data["id"]):
        tasks.rename(int(event.data["id"]), event.value or "")
        view["editing"] = None
        render()
        save()


@app.on_quit
async def keep_what_is_typed() -> None:
    """The window is closing: keep the text typed and not yet saved (every other change
    was saved when it was made). A rename under way becomes the task's title; a new task
    not yet added goes back in its field at the next start."""
    draft = await dom.select("#new-title").get("value")
    if isinstance(draft, str) and draft.strip():
        files.atomic_write(DRAFT, draft)
    editing = view["editing"]
    if not isinstance(editing, int):
        return
    typed = await dom.select(".edit-input").get("value")
    if isinstance(typed, str):
        tasks.rename(editing, typed)
        view["editing"] = None
        save()


def _show(which: Filter, event: Event) -> None:
    view["filter"] = which
    render()
    count = len(_shown_ids())
    announce(f"Showing {which} tasks: {count}.")
    if "id" in event.data and int(event.data["id"]) not in _shown_ids():
        dom.select(f'[data-filter="{which}"]').focus()  # the focused row was filtered out


@dom.on("click", "[data-filter]")
def choose_filter(event: Event) -> None:
    _show(event.data["filter"], event)  # type: ignore[arg-type]


@dom.on("keydown", keys=["alt+1", "alt+2", "alt+3"])
def filter_shortcut(event: Event) -> None:
    _show(FILTERS[int(event.key or "1") - 1], event)


@dom.on("click", "#clear-done")
def clear_done(event: Event) -> None:
    cleared = tasks.clear_done()
    render()
    dom.select("#new-title").focus()  # the button is disabled now: focus goes on
    announce(f"Cleared {cleared} done task{'s' if cleared != 1 else ''}.")
    save()


@dom.on("keydown", keys=["/", "mod+k"])
def focus_new(event: Event) -> None:
    dom.select("#new-title").focus()
