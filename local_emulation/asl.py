"""A small Amazon States Language interpreter: runs the state machine document CDK deploys.

It covers the states ``gladiator.pipeline.state_machine_definition`` renders, with AWS semantics:
Task (through a resource handler: ``resource -> handler(parameters) -> result``), Parallel
(branches run one after the other here: 2 cores), Choice (``BooleanEquals``/``StringEquals``/
``IsPresent``), Pass, Succeed, Fail; ``Parameters`` with ``.$`` paths, ``$$.Execution.Name`` and
``States.Format``; ``InputPath``/``ResultPath``/``OutputPath`` (incl. ``null``); ``Retry`` (no
back-off sleeps) and ``Catch``. Anything else raises ``UnsupportedState``, so a definition that
drifts beyond what is emulated fails loudly instead of running differently.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gladiator.errors import GladiatorError
from gladiator.outcomes import RunState

log = logging.getLogger(__name__)
TaskHandler = Callable[[dict[str, Any]], Any]
_FORMAT = re.compile(r"^States\.Format\('((?:[^'\\]|\\.)*)'((?:\s*,\s*[^,]+)*)\)$")


class UnsupportedState(GladiatorError):
    """The definition uses an ASL feature the local interpreter does not emulate."""


class TaskFailed(Exception):
    """A task's error, named like Step Functions errors (``error``) with its ``cause``."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass
class Execution:
    name: str
    status: str = RunState.RUNNING  # SUCCEEDED | FAILED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    path: list[str] = field(default_factory=list)  # every state entered, in order


def get_path(data: Any, path: str, context: Mapping[str, Any]) -> Any:
    """``$``, ``$.a.b`` or ``$$.Execution.Name`` of ``data`` / the context object."""
    root, rest = (context, path[2:]) if path.startswith("$$") else (data, path[1:])
    value = root
    for part in [p for p in rest.split(".") if p]:
        if not isinstance(value, Mapping) or part not in value:
            raise TaskFailed("States.Runtime", f"path {path} not found")
        value = value[part]
    return value


def _intrinsic(expression: str, data: Any, context: Mapping[str, Any]) -> Any:
    match = _FORMAT.match(expression.strip())
    if not match:
        raise UnsupportedState(f"intrinsic {expression!r}")
    template = match.group(1).replace("\\'", "'")
    args = [a.strip() for a in match.group(2).split(",") if a.strip()]
    for arg in args:
        template = template.replace("{}", str(get_path(data, arg, context)), 1)
    return template


def resolve(template: Any, data: Any, context: Mapping[str, Any]) -> Any:
    """Apply a ``Parameters``/``ResultSelector`` template to ``data``."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                text = str(value)
                out[key[:-2]] = (
                    get_path(data, text, context) if text.startswith("$") else _intrinsic(text, data, context)
                )
            else:
                out[key] = resolve(value, data, context)
        return out
    if isinstance(template, list):
        return [resolve(v, data, context) for v in template]
    return template


def _put(data: Any, path: str | None, result: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return result
    out = copy.deepcopy(data) if isinstance(data, dict) else {}
    parts = path[2:].split(".")
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = result
    return out


def _matches(errors: list[str], error: str) -> bool:
    return (
        "States.ALL" in errors
        or error in errors
        or ("States.TaskFailed" in errors and not error.startswith("States."))
    )


class Interpreter:
    """Runs ASL documents; ``handlers`` maps a Task ``Resource`` to the function doing its work."""

    def __init__(self, handlers: Mapping[str, TaskHandler]) -> None:
        self.handlers = dict(handlers)

    def execute(self, definition: Mapping[str, Any], data: Any, *, name: str) -> Execution:
        execution = Execution(name=name)
        context = {"Execution": {"Name": name, "Input": data}}
        try:
            execution.output = self._run(definition, data, context, execution)
            execution.status = RunState.SUCCEEDED
        except TaskFailed as exc:
            execution.status, execution.error, execution.cause = RunState.FAILED, exc.error, exc.cause
        return execution

    def _run(
        self, machine: Mapping[str, Any], data: Any, context: dict[str, Any], execution: Execution
    ) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            execution.path.append(name)
            kind = state["Type"]
            if kind == "Succeed":
                return data
            if kind == "Fail":
                raise TaskFailed(state.get("Error", "States.Fail"), state.get("Cause", ""))
            if kind == "Choice":
                name = self._choose(state, data)
                continue
            try:
                data = self._step(state, data, context, execution)
            except TaskFailed as exc:
                catcher = next(
                    (c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], exc.error)), None
                )
                if catcher is None:
                    raise
                data = _put(data, catcher.get("ResultPath", "$"), {"Error": exc.error, "Cause": exc.cause})
                name = catcher["Next"]
                continue
            if state.get("End"):
                return data
            name = state["Next"]

    def _step(
        self, state: Mapping[str, Any], data: Any, context: dict[str, Any], execution: Execution
    ) -> Any:
        kind = state["Type"]
        effective = get_path(data, state["InputPath"], context) if state.get("InputPath") else data
        if kind == "Pass":
            result = state.get("Result", resolve(state.get("Parameters", effective), effective, context))
        elif kind == "Task":
            parameters = resolve(state.get("Parameters", effective), effective, context)
            result = self._task(state, parameters)
        elif kind == "Parallel":
            result = [self._run(branch, effective, context, execution) for branch in state["Branches"]]
        else:
            raise UnsupportedState(f"state type {kind}")
        if "ResultSelector" in state:
            result = resolve(state["ResultSelector"], result, context)
        out = _put(data, state.get("ResultPath", "$"), result)
        return get_path(out, state["OutputPath"], context) if state.get("OutputPath") else out

    def _task(self, state: Mapping[str, Any], parameters: dict[str, Any]) -> Any:
        handler = self.handlers.get(state["Resource"])
        if handler is None:
            raise UnsupportedState(f"task resource {state['Resource']}")
        attempts: dict[int, int] = {}
        while True:
            try:
                return handler(parameters)
            except TaskFailed as exc:
                retriers = state.get("Retry", [])
                index = next(
                    (i for i, r in enumerate(retriers) if _matches(r["ErrorEquals"], exc.error)), None
                )
                if index is None or attempts.get(index, 0) >= retriers[index].get("MaxAttempts", 3):
                    raise
                attempts[index] = attempts.get(index, 0) + 1
                log.warning(
                    "retrying %s after %s (attempt %d)", state["Resource"], exc.error, attempts[index]
                )

    @staticmethod
    def _choose(state: Mapping[str, Any], data: Any) -> str:
        for rule in state.get("Choices", []):
            try:
                value = get_path(data, rule["Variable"], {})
                present = True
            except TaskFailed:
                value, present = None, False
            if "BooleanEquals" in rule and present and value is rule["BooleanEquals"]:
                return str(rule["Next"])
            if "StringEquals" in rule and present and value == rule["StringEquals"]:
                return str(rule["Next"])
            if "IsPresent" in rule and present == rule["IsPresent"]:
                return str(rule["Next"])
            if not {"BooleanEquals", "StringEquals", "IsPresent"} & set(rule):
                raise UnsupportedState(f"choice rule {rule}")
        if "Default" not in state:
            raise TaskFailed("States.NoChoiceMatched", str(data))
        return str(state["Default"])
