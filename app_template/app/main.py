"""The UI: render the task list into ui/index.html and react to the user."""

from __future__ import annotations

import json
from pathlib import Path

from pyshell import app, dom, files
from pyshell.dom import Event
from pyshell.html import Markup, fragment, h
from pyshell.state import keep

from .tasks import FILTERS, Filter, Task, TaskList

# The app's data grant (see [[tool.pyshell.permissions.fs]] in pyproject.toml).
SAVED = Path("/data/tasks.json")


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


def on_reload() -> None:
    """Called by `pyshell dev` after it has re-run changed modules: show the new code."""
    render()


def save() -> None:
    """Replace the whole list crash-safely (old or new content, never half a file).
    The page gets the new view first: a click never waits for the disk."""
    dom.flush()
    files.atomic_write(SAVED, json.dumps(tasks.to_json(), indent=1))


def render() -> None:
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


def _item(task: Task) -> Markup:
    """One row. h() escapes every text and attribute value: a title such as
    `<b>bold</b>` shows as typed, never as markup."""
    if view["editing"] == task.id:
        body = h("input", class_="edit-input", data_id=task.id, value=task.title,
                 aria_label="Edit task")
    else:
        body = h("span", task.title, class_="title", data_id=task.id)
    return h("li", {"class": {"task": True, "done": task.done}, "data-id": task.id},
             h("input", type="checkbox", class_="toggle", data_id=task.id, checked=task.done,
               aria_label="Done"),
             body,
             h("button", "×", class_="delete", data_id=task.id, aria_label="Delete",
               title="Delete"))


@dom.on("submit", "#new-task")
def add(event: Event) -> None:
    if tasks.add(event.form.get("title", "")):
        dom.select("#new-title").value = ""
        if view["filter"] == "done":
            view["filter"] = "all"
        render()
        save()


@dom.on("change", ".toggle")
def toggle(event: Event) -> None:
    tasks.toggle(int(event.data["id"]))
    render()
    save()


@dom.on("click", ".delete")
def delete(event: Event) -> None:
    tasks.delete(int(event.data["id"]))
    render()
    save()


@dom.on("dblclick", ".title")
def start_edit(event: Event) -> None:
    view["editing"] = int(event.data["id"])
    render()


@dom.on("keydown", ".edit-input", keys=["Enter", "Escape"])
def finish_edit(event: Event) -> None:
    if event.key == "Enter":
        tasks.rename(int(event.data["id"]), event.value or "")
    view["editing"] = None
    render()
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
async def keep_the_edit() -> None:
    """The window is closing while a task is being renamed: keep the text typed so far
    (every other change was saved when it was made)."""
    editing = view["editing"]
    if not isinstance(editing, int):
        return
    typed = await dom.select(".edit-input").get("value")
    if isinstance(typed, str):
        tasks.rename(editing, typed)
        view["editing"] = None
        save()


@dom.on("click", "[data-filter]")
def choose_filter(event: Event) -> None:
    view["filter"] = event.data["filter"]
    render()


@dom.on("keydown", keys=["alt+1", "alt+2", "alt+3"])
def filter_shortcut(event: Event) -> None:
    view["filter"] = FILTERS[int(event.key or "1") - 1]
    render()


@dom.on("click", "#clear-done")
def clear_done(event: Event) -> None:
    tasks.clear_done()
    render()
    save()


@dom.on("keydown", keys=["/", "mod+k"])
def focus_new(event: Event) -> None:
    dom.select("#new-title").focus()
