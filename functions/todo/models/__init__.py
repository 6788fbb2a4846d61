"""The todo service's tables, in the `todo` schema."""

from functions.todo.models.base import SCHEMA, Base, Outbox, ProcessedEvent
from functions.todo.models.conversations import Conversation, UserSettings
from functions.todo.models.dead_letters import DLQ_SUFFIX, DeadLetter
from functions.todo.models.tasks import PRIORITIES, REPEAT_FROM, STATUSES, Task, TaskTag

__all__ = [
    "DLQ_SUFFIX",
    "PRIORITIES",
    "REPEAT_FROM",
    "SCHEMA",
    "STATUSES",
    "Base",
    "Conversation",
    "DeadLetter",
    "Outbox",
    "ProcessedEvent",
    "Task",
    "TaskTag",
    "UserSettings",
]
