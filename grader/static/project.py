"""All modules of one submission, so a rule can follow a task into another file."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.static.analysis import FunctionInfo, ModuleAnalysis


class ProjectIndex:
    """Module name -> analysis, for resolving ``from .worker import process``."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleAnalysis] = {}

    def add(self, analysis: ModuleAnalysis) -> None:
        self.modules[analysis.module_name] = analysis

    def resolve(self, importer: str, source: str) -> tuple[ModuleAnalysis, FunctionInfo] | None:
        """Resolve ``"<dots><module>:<name>"`` imported by module ``importer``."""
        module_part, _, name = source.partition(":")
        stripped = module_part.lstrip(".")
        dots = len(module_part) - len(stripped)
        candidates: list[str] = []
        if dots:
            base = importer.split(".")
            # importer "pkg.main" with one dot -> package "pkg"
            package = base[: len(base) - dots] if len(base) >= dots else []
            candidates.append(".".join([*package, stripped] if stripped else package))
        else:
            candidates.append(stripped)
            # flat layouts run with the package folder on sys.path: "from worker import x"
            # may mean "<pkg>.worker" when the importer lives in "<pkg>"
            if "." in importer:
                candidates.append(importer.rsplit(".", 1)[0] + "." + stripped)
        for candidate in candidates:
            target = self.modules.get(candidate)
            if target is None:
                continue
            info = target.module_functions.get(name)
            if info is not None:
                return target, info
            # re-export: ``from .tasks import process`` inside the package __init__
            source2 = target.imported_names.get(name)
            if source2 and source2 != source:
                return self.resolve(candidate if target.path.endswith("__init__.py") else candidate, source2)
        return None
