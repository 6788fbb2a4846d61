"""A tool's arguments as a pydantic model, from its signature (less the Toolbox)."""

from __future__ import annotations

import functools
import inspect
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from functions.todo.tools.catalog import BY_NAME


@functools.cache
def arguments_model(name: str) -> type[BaseModel]:
    fn = BY_NAME[name].fn
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    config = ConfigDict(extra="forbid")
    return create_model(f"{name}_arguments", __config__=config, **fields)
