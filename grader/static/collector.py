"""The single walk that fills a ModuleAnalysis: functions, upload endpoints, add_task
calls on real BackgroundTasks receivers, local assignments, imports and node parents."""

from __future__ import annotations

import libcst as cst

from grader.static.analysis import (
    BACKGROUND_TASKS_NAMES,
    DEPENDS_NAMES,
    ROUTE_METHODS,
    UPLOAD_FILE_NAMES,
    AddTaskCall,
    FunctionInfo,
    ModuleAnalysis,
    _find,
)


class FactCollector(cst.CSTVisitor):
    """Walks the module once and fills ``ModuleAnalysis``'s fact lists."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        super().__init__()
        self.a = analysis
        self.stack: list[FunctionInfo] = []
        self.nodes: list[cst.CSTNode] = []
        self.awaited: set[int] = set()

    def collect(self) -> None:
        self.a.module.visit(self)

    # Every node's parent, recorded on the way down (no visit_* here prunes children).
    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.nodes:
            self.a._parents[node] = self.nodes[-1]
        self.nodes.append(node)
        self.a.all_nodes.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        self.nodes.pop()

    # imports: local name -> dotted path, for cross-module function resolution
    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        dots = "." * len(node.relative)
        base = self.a.module.code_for_node(node.module) if node.module else ""
        for alias in node.names:
            name = self.a.module.code_for_node(alias.name)
            local = alias.evaluated_alias or name
            self.a.imported_names[local] = f"{dots}{base}:{name}"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.stack[-1] if self.stack else None
        info = FunctionInfo(
            node=node,
            name=node.name.value,
            is_async=node.asynchronous is not None,
            parent=parent,
            is_route=any(self._is_route_decorator(d.decorator) for d in node.decorators),
        )
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for param in params:
            self._classify_param(info, param)
        self.a.functions.append(info)
        if parent is None and not self._inside_class(node):
            self.a.module_functions[info.name] = info
        self.stack.append(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def _inside_class(self, node: cst.CSTNode) -> bool:
        current = self.a.parent(node)
        while current is not None and not isinstance(current, cst.Module):
            if isinstance(current, cst.ClassDef):
                return True
            current = self.a.parent(current)
        return False

    def _is_route_decorator(self, decorator: cst.BaseExpression) -> bool:
        if not isinstance(decorator, cst.Call):
            return False
        func = decorator.func
        # ``@app.post(...)`` / ``@router.api_route(...)`` on any name bound to an app/router.
        return isinstance(func, cst.Attribute) and func.attr.value in ROUTE_METHODS

    def _classify_param(self, info: FunctionInfo, param: cst.Param) -> None:
        name = param.name.value
        annotation = param.annotation.annotation if param.annotation else None
        if annotation is not None and self._mentions(annotation, UPLOAD_FILE_NAMES):
            info.upload_params.add(name)
        if annotation is not None and self._mentions(annotation, BACKGROUND_TASKS_NAMES):
            info.background_params.add(name)
        default = param.default
        if isinstance(default, cst.Call) and self.a.is_qualified(default.func, BACKGROUND_TASKS_NAMES):
            info.background_params.add(name)
        depends_in = [default] if default is not None else []
        if annotation is not None:
            depends_in.append(annotation)
        for expr in depends_in:
            for call in _find(expr, cst.Call):
                if self.a.is_qualified(call.func, DEPENDS_NAMES):
                    # ``BackgroundTasks = Depends()`` is still the injected BackgroundTasks
                    if name not in info.background_params:
                        info.depends_params.add(name)

    def _mentions(self, expr: cst.BaseExpression, names: frozenset[str]) -> bool:
        for node in _find(expr, (cst.Name, cst.Attribute)):  # type: ignore[arg-type]
            if self.a.is_qualified(node, names):
                return True
        # string annotations: "UploadFile"
        for node in _find(expr, cst.SimpleString):
            text = node.evaluated_value if isinstance(node.evaluated_value, str) else ""
            if any(text.split("[")[0].split(".")[-1] == n.rsplit(".", 1)[1] for n in names):
                return True
        return False

    def _record_assignment(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not self.stack or not isinstance(target, cst.Name):
            return
        info = self.stack[-1]
        info.assignments.setdefault(target.value, []).append(value)
        if isinstance(value, cst.Call) and self.a.is_qualified(value.func, BACKGROUND_TASKS_NAMES):
            info.local_background_tasks.add(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_assignment(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record_assignment(node.target, node.value)

    def visit_Await(self, node: cst.Await) -> None:
        expr = node.expression
        if isinstance(expr, cst.Call):
            self.awaited.add(id(expr))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "add_task"):
            return
        info = self.stack[-1] if self.stack else None
        receiver = func.value
        receiver_name = receiver.value if isinstance(receiver, cst.Name) else None
        if not self._is_background_tasks(receiver, info):
            return
        positional = [a for a in node.args if a.keyword is None and not a.star]
        func_arg: cst.BaseExpression | None = None
        rest = list(node.args)
        if positional:
            func_arg = positional[0].value
            rest.remove(positional[0])
        else:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "func":
                    func_arg = arg.value
                    rest.remove(arg)
                    break
        self.a.add_task_calls.append(
            AddTaskCall(
                call=node,
                receiver=receiver,
                receiver_name=receiver_name,
                func=func_arg,
                args=rest,
                awaited=id(node) in self.awaited,
                function=info,
            )
        )

    def _is_background_tasks(self, receiver: cst.BaseExpression, info: FunctionInfo | None) -> bool:
        """The receiver is a FastAPI/Starlette BackgroundTasks, by annotation or construction."""
        if isinstance(receiver, cst.Call):
            return self.a.is_qualified(receiver.func, BACKGROUND_TASKS_NAMES)
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "background":
            # ``response.background.add_task(...)``
            return True
        if not isinstance(receiver, cst.Name):
            return False
        name = receiver.value
        scope_fn = info
        while scope_fn is not None:
            if name in scope_fn.background_params or name in scope_fn.local_background_tasks:
                return True
            if name in scope_fn.assignments:
                return False
            scope_fn = scope_fn.parent
        # module-level ``tasks = BackgroundTasks()``
        for assignment in self.a.module.body:
            if isinstance(assignment, cst.SimpleStatementLine):
                for small in assignment.body:
                    if (
                        isinstance(small, cst.Assign)
                        and isinstance(small.value, cst.Call)
                        and self.a.is_qualified(small.value.func, BACKGROUND_TASKS_NAMES)
                        and any(
                            isinstance(t.target, cst.Name) and t.target.value == name
                            for t in small.targets
                        )
                    ):
                        return True
        return False
