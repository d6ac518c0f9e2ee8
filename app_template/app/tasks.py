"""The task list: plain Python with no UI, so it is easy to test on the host."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Filter = Literal["all", "active", "done"]
FILTERS: tuple[Filter, ...] = ("all", "active", "done")


@dataclass
class Task:
    id: int
    title: str
    done: bool = False


@dataclass
class TaskList:
    tasks: list[Task] = field(default_factory=list)
    next_id: int = 1

    def add(self, title: str) -> Task | None:
        """Add a task; blank titles are ignored."""
        title = " ".join(title.split())
        if not title:
            return None
        task = Task(self.next_id, title)
        self.next_id += 1
        self.tasks.append(task)
        return task

    def get(self, task_id: int) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def toggle(self, task_id: int) -> None:
        task = self.get(task_id)
        if task:
            task.done = not task.done

    def rename(self, task_id: int, title: str) -> None:
        """Rename a task; an empty title deletes it, as in most to-do apps."""
        title = " ".join(title.split())
        task = self.get(task_id)
        if task and title:
            task.title = title
        elif task:
            self.delete(task_id)

    def delete(self, task_id: int) -> None:
        self.tasks = [t for t in self.tasks if t.id != task_id]

    def clear_done(self) -> int:
        before = len(self.tasks)
        self.tasks = [t for t in self.tasks if not t.done]
        return before - len(self.tasks)

    def visible(self, which: Filter) -> list[Task]:
        if which == "active":
            return [t for t in self.tasks if not t.done]
        if which == "done":
            return [t for t in self.tasks if t.done]
        return list(self.tasks)

    @property
    def remaining(self) -> int:
        return sum(not t.done for t in self.tasks)

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "next_id": self.next_id, "tasks": [asdict(t) for t in self.tasks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskList:
        tasks = [Task(int(t["id"]), str(t["title"]), bool(t["done"])) for t in data["tasks"]]
        next_id = max([int(data.get("next_id", 1)), *(t.id + 1 for t in tasks)])
        return cls(tasks, next_id)
