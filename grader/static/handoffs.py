"""Where a function hands values to another function of the submission.

A hand-off is a call that runs one of the submission's functions with arguments, now or
later: ``background_tasks.add_task(save, path)``, a direct call ``save(path)`` (also
``tasks.save(path)`` through a module), ``await run_in_threadpool(save, path)``,
``anyio.to_thread.run_sync(save, path)``, ``asyncio.to_thread(save, path)``,
``loop.run_in_executor(None, save, path)``, ``BackgroundTask(save, path)``; the function
may be wrapped in ``functools.partial``. :func:`handoffs` resolves the function and pairs
each of its parameters with the argument it receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from grader.static.analysis import PARTIAL_NAMES, FunctionInfo, ModuleAnalysis
from grader.static.walk import own_nodes

# qualified name -> index of the function among the positional arguments
EXECUTORS = {
    "starlette.concurrency.run_in_threadpool": 0,
    "fastapi.concurrency.run_in_threadpool": 0,
    "anyio.to_thread.run_sync": 0,
    "asyncio.to_thread": 0,
    "asyncio.threads.to_thread": 0,
    "starlette.background.BackgroundTask": 0,
    "fastapi.background.BackgroundTask": 0,
}
# ``loop.run_in_executor(executor, fn, *args)`` on any receiver
_METHOD_EXECUTORS = {"run_in_executor": 1}


@dataclass(frozen=True)
class Handoff:
    """``call`` runs ``target`` (in ``target_module``) with ``arguments``: parameter ->
    argument expression. ``deferred``: it runs after the response (``add_task``)."""

    call: cst.Call
    target_module: ModuleAnalysis
    target: FunctionInfo
    arguments: tuple[tuple[str, cst.BaseExpression], ...]
    deferred: bool


@dataclass(frozen=True)
class Unresolved:
    """A hand-off to a function the analysis cannot find (``add_task(handle, path)``)."""

    call: cst.Call
    values: tuple[cst.BaseExpression, ...]
    deferred: bool


def parameters(info: FunctionInfo) -> list[str]:
    p = info.node.params
    return [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]


def handed_function(module: ModuleAnalysis, call: cst.Call) -> tuple[cst.BaseExpression, list[cst.Arg]] | None:
    """For an executor-style call: (the function it runs, the arguments it passes on)."""
    index = None
    for name in module.call_qualified_names(call):
        if name in EXECUTORS:
            index = EXECUTORS[name]
            break
    func = call.func
    if index is None and isinstance(func, cst.Attribute) and func.attr.value in _METHOD_EXECUTORS:
        index = _METHOD_EXECUTORS[func.attr.value]
    if index is None:
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if len(positional) <= index:
        return None
    rest = positional[index + 1 :] + [a for a in call.args if a.keyword is not None]
    return positional[index].value, rest


def bind(
    module: ModuleAnalysis, function: cst.BaseExpression, args: list[cst.Arg], target: FunctionInfo
) -> tuple[tuple[str, cst.BaseExpression], ...]:
    """Pair ``target``'s parameters with ``args`` (``functools.partial``'s own first)."""
    params = parameters(target)
    positional = [a for a in args if a.keyword is None and not a.star]
    keywords = [a for a in args if a.keyword is not None]
    if isinstance(function, cst.Call) and module.is_qualified(function.func, PARTIAL_NAMES):
        positional = [a for a in function.args[1:] if a.keyword is None and not a.star] + positional
        keywords = [a for a in function.args if a.keyword is not None] + keywords
    pairs = [(params[i], arg.value) for i, arg in enumerate(positional) if i < len(params)]
    pairs += [(a.keyword.value, a.value) for a in keywords if a.keyword is not None and a.keyword.value in params]
    return tuple(pairs)


def handoffs(module: ModuleAnalysis, info: FunctionInfo) -> Iterator[Handoff | Unresolved]:
    """Every hand-off in ``info``'s own body, in source order of the calls."""
    scheduled = {id(task.call): task for task in module.add_task_calls if task.function is info}
    for call in own_nodes(info.node.body, cst.Call):
        task = scheduled.get(id(call))
        if task is not None:
            if task.func is not None:
                yield _resolve(module, info, call, task.func, list(task.args), deferred=True)
            continue
        handed = handed_function(module, call)
        if handed is not None:
            deferred = any(name.endswith("BackgroundTask") for name in module.call_qualified_names(call))
            yield _resolve(module, info, call, handed[0], handed[1], deferred=deferred)
            continue
        resolved = module.resolve_callable(call.func, info)
        if resolved is not None and resolved[1] is not info:
            target_module, target = resolved
            yield Handoff(call, target_module, target, bind(module, call.func, list(call.args), target), False)


def _resolve(
    module: ModuleAnalysis,
    info: FunctionInfo,
    call: cst.Call,
    function: cst.BaseExpression,
    args: list[cst.Arg],
    *,
    deferred: bool,
) -> Handoff | Unresolved:
    resolved = module.resolve_callable(function, info)
    if resolved is None:
        values = [a.value for a in args]
        if isinstance(function, cst.Call) and module.is_qualified(function.func, PARTIAL_NAMES):
            values += [a.value for a in function.args[1:]]
        return Unresolved(call, tuple(values), deferred)
    target_module, target = resolved
    return Handoff(call, target_module, target, bind(module, function, args, target), deferred)
