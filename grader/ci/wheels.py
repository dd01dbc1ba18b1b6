"""Wheels for artifacts that install offline: the grader's own, and every dependency's.

The grader's own wheel is built from the checkout the grader runs from (``pip wheel``),
or, when it was installed from a wheel (no checkout), repacked from its installed files
(their list and hashes are in the distribution's ``RECORD``).

The dependencies are downloaded for the machine that will install them (Gradescope's
image: CPython 3.10 on x86_64 Linux), not for this one. ``pip download --python-version``
picks wheels for the target but evaluates environment markers for the interpreter it
runs on (``tomli; python_version < "3.11"`` is skipped on 3.11), so the set is closed
here with the target's markers and then verified: every requirement of every wheel, as
the target sees it, is met by a wheel in the folder.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from grader import __version__
from grader.ci.sources import PACKAGE
from grader.errors import GraderError

_CHECKOUT = Path(__file__).resolve().parents[2]
_OWN_DIST_INFO_SKIP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_CLOSURE_ROUNDS = 6


@dataclass(frozen=True)
class Target:
    """The interpreter and platform that will install the wheels."""

    python: str = "3.10"  # Gradescope's Ubuntu 22.04 image
    machine: str = "x86_64"
    glibc: tuple[int, int] = (2, 35)  # Ubuntu 22.04

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    def platforms(self) -> list[str]:
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(17, self.glibc[1] + 1)]
        return [*tags, f"manylinux2014_{self.machine}"]

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--python-version", self.python, "--implementation", "cp", "--abi", self.abi]
        for platform in self.platforms():
            args += ["--platform", platform]
        return args

    def markers(self, extra: str = "") -> dict[str, str]:
        env = dict(default_environment())
        env.update(python_version=self.python, python_full_version=f"{self.python}.0", implementation_name="cpython",
                   platform_python_implementation="CPython", sys_platform="linux", platform_system="Linux",
                   os_name="posix", platform_machine=self.machine, implementation_version=f"{self.python}.0",
                   extra=extra)
        return env


def parse_target(python: str) -> Target:
    parts = python.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or (int(parts[0]), int(parts[1])) < (3, 10):
        raise GraderError(f"--target-python {python!r}: expected a version such as 3.10 (3.10 or later).")
    return Target(python=python)


def own_wheel(dest: Path) -> Path:
    """Write the grader's own wheel (this exact version) into ``dest`` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    pyproject = _CHECKOUT / "pyproject.toml"
    if pyproject.is_file() and f'name = "{PACKAGE}"' in pyproject.read_text(encoding="utf-8"):
        return _build_from_checkout(_CHECKOUT, dest)
    return _repack_installed(dest)


def _run_pip(args: list[str], what: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING: Location")]
        raise GraderError(f"{what} failed: {lines[-1] if lines else f'pip exited {done.returncode}'}")


def _build_from_checkout(root: Path, dest: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="grader-wheel-") as tmp:
        _run_pip(["wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(root)],
                 f"building the grader's wheel from {root}")
        built = sorted(Path(tmp).glob("*.whl"))
        if len(built) != 1:
            raise GraderError(f"building the grader's wheel from {root} gave {len(built)} wheels, expected 1.")
        target = dest / built[0].name
        target.write_bytes(built[0].read_bytes())
    return target


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _repack_installed(dest: Path) -> Path:
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise GraderError(f"cannot find the grader's own files: {PACKAGE} is neither a checkout nor installed.") from None
    if dist.version != __version__:
        raise GraderError(f"installed {PACKAGE} {dist.version} is not the running grader {__version__}.")
    files = [f for f in dist.files or [] if f.parts and f.parts[0] != ".." and "__pycache__" not in f.parts]
    kept = [f for f in files if not (f.parts[0].endswith(".dist-info") and f.name in _OWN_DIST_INFO_SKIP)]
    if not any(f.parts[0].endswith(".dist-info") and f.name == "WHEEL" for f in kept):
        raise GraderError(f"installed {PACKAGE} has no wheel metadata (an editable or legacy install?); "
                          "run this from a checkout of the grader instead.")
    info_dir = next(f.parts[0] for f in kept if f.parts[0].endswith(".dist-info"))
    target = dest / f"{PACKAGE.replace('-', '_')}-{__version__}-py3-none-any.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for file in sorted(kept, key=lambda f: f.as_posix()):
            data = Path(dist.locate_file(file)).read_bytes()
            wheel.writestr(zipfile.ZipInfo(file.as_posix(), date_time=(2020, 1, 1, 0, 0, 0)), data,
                           compress_type=zipfile.ZIP_DEFLATED)
            writer.writerow([file.as_posix(), _record_hash(data), len(data)])
        writer.writerow([f"{info_dir}/RECORD", "", ""])
        wheel.writestr(zipfile.ZipInfo(f"{info_dir}/RECORD", date_time=(2020, 1, 1, 0, 0, 0)), record.getvalue(),
                       compress_type=zipfile.ZIP_DEFLATED)
    return target


def _wheel_metadata(path: Path) -> tuple[str, str, list[Requirement]]:
    name, version, _build, _tags = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as wheel:
        meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        message = Parser().parsestr(wheel.read(meta_name).decode("utf-8"))
    return str(name), str(version), [Requirement(r) for r in message.get_all("Requires-Dist") or []]


def _unmet(folder: Path, roots: dict[str, set[str]], target: Target) -> list[str]:
    """Requirements (as the target evaluates their markers) that no wheel in ``folder`` meets."""
    wheels = {}
    for path in folder.glob("*.whl"):
        name, version, requires = _wheel_metadata(path)
        wheels[name] = (version, requires)
    wanted = {canonicalize_name(k): set(v) for k, v in roots.items()}  # package -> extras asked for
    unmet: set[str] = set()
    changed = True
    while changed:  # until no package or extra is added
        changed = False
        for name in list(wanted):
            if name not in wheels:
                unmet.add(name)
                continue
            version, requires = wheels[name]
            for extra in {"", *wanted[name]}:
                for req in requires:
                    if req.marker is not None and not req.marker.evaluate(target.markers(extra)):
                        continue
                    dep = canonicalize_name(req.name)
                    if dep not in wheels or not req.specifier.contains(wheels[dep][0], prereleases=True):
                        unmet.add(f"{req.name}{req.specifier}")
                        continue
                    if dep not in wanted or not set(req.extras) <= wanted[dep]:
                        wanted[dep] = wanted.get(dep, set()) | set(req.extras)
                        changed = True
    return sorted(unmet)


def download_closure(own: Path, extras: tuple[str, ...], dest: Path, target: Target) -> list[Path]:
    """Every wheel the target needs to install ``own[extras]`` offline, in ``dest``."""
    spec = f"{own}[{','.join(extras)}]" if extras else str(own)
    what = f"downloading the dependencies' wheels for Python {target.python} ({target.machine} Linux)"
    _run_pip(["download", "--quiet", "--dest", str(dest), *target.pip_args(), spec], what)
    roots = {PACKAGE: set(extras)}
    for _round in range(_CLOSURE_ROUNDS):
        missing = _unmet(dest, roots, target)
        if not missing:
            return sorted(dest.glob("*.whl"))
        _run_pip(["download", "--quiet", "--dest", str(dest), *target.pip_args(), *missing], what)
    raise GraderError(f"{what}: still missing {', '.join(_unmet(dest, roots, target))}.")


def pins(wheels: list[Path], extras: tuple[str, ...]) -> str:
    """``requirements.txt``: the grader with its extras, then every wheel's exact version."""
    lines = [f"# fastapi-grader {__version__} and the exact versions bundled with it."]
    for path in wheels:
        name, version, _build, _tags = parse_wheel_filename(path.name)
        if name == canonicalize_name(PACKAGE):
            lines.insert(1, f"{PACKAGE}[{','.join(extras)}]=={version}" if extras else f"{PACKAGE}=={version}")
        else:
            lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"
