"""The task list's logic, on the host: no browser needed."""

from app.tasks import TaskList


def test_add_ignores_blank_and_squashes_spaces() -> None:
    tasks = TaskList()
    assert tasks.add("   ") is None
    task = tasks.add("  buy   milk ")
    assert task is not None and task.title == "buy milk"
    assert [t.id for t in tasks.tasks] == [1]


def test_toggle_filter_and_clear() -> None:
    tasks = TaskList()
    for title in ("a", "b", "c"):
        tasks.add(title)
    tasks.toggle(2)
    assert [t.title for t in tasks.visible("active")] == ["a", "c"]
    assert [t.title for t in tasks.visible("done")] == ["b"]
    assert tasks.remaining == 2
    assert tasks.clear_done() == 1
    assert [t.title for t in tasks.visible("all")] == ["a", "c"]


def test_rename_to_empty_deletes() -> None:
    tasks = TaskList()
    tasks.add("a")
    tasks.rename(1, "b")
    assert tasks.get(1).title == "b"
    tasks.rename(1, "  ")
    assert tasks.tasks == []


def test_json_round_trip_keeps_ids() -> None:
    tasks = TaskList()
    tasks.add("a")
    tasks.add("b")
    tasks.toggle(2)
    tasks.delete(1)
    again = TaskList.from_json(tasks.to_json())
    assert again.tasks == tasks.tasks
    assert again.add("c").id == 3
