"""All modules of one submission, so a rule can follow a task into another file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.static.settings import DEFAULT_SETTINGS, StaticSettings

if TYPE_CHECKING:
    from grader.static.analysis import FunctionInfo, ModuleAnalysis


class ProjectIndex:
    """Module name -> analysis, for resolving ``from .worker import process``; and the
    lint's settings, which every module of the project shares."""

    def __init__(self, settings: StaticSettings = DEFAULT_SETTINGS) -> None:
        self.modules: dict[str, ModuleAnalysis] = {}
        self.settings = settings
        # every file's module name, parsed or not (the parallel index answers the same)
        self.module_names: set[str] = set()

    def add(self, analysis: ModuleAnalysis) -> None:
        self.modules[analysis.module_name] = analysis

    def has_module(self, name: str) -> bool:
        """A file of the submission is module ``name`` (whether or not it parsed)."""
        return name in self.module_names or name in self.modules

    def resolve(
        self, importer: str, source: str, *, importer_is_package: bool = False, hops: int = 0
    ) -> tuple[ModuleAnalysis, FunctionInfo] | None:
        """Resolve ``"<dots><module>:<name>"`` imported by module ``importer`` (a package's
        ``__init__`` when ``importer_is_package``: its relative imports start from itself)."""
        module_part, _, name = source.partition(":")
        stripped = module_part.lstrip(".")
        dots = len(module_part) - len(stripped)
        candidates: list[str] = []
        if dots:
            base = importer.split(".") if importer else []
            # "pkg.main" with one dot -> package "pkg"; the package "pkg" itself -> "pkg"
            keep = len(base) - dots + (1 if importer_is_package else 0)
            package = base[:keep] if keep >= 0 else []
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
            again = target.imported_names.get(name)
            if again and hops < 8:
                return self.resolve(candidate, again, importer_is_package=target.is_package, hops=hops + 1)
        return None
