"""The component lock: for each optional feature, the exact distributions (name==version) to install.

Written at build time by `rtstt.spec` from the build's own environment, so the downloaded stacks match
what the frozen app was built and tested against, and ship inside the bundle as `components.lock.json`.
Distributions the bundle already carries (numpy, huggingface_hub, ...) are left out: the frozen copies win.
"""

from __future__ import annotations

import json
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rtstt.components.catalog import FEATURES, Feature
from rtstt.components.live import bundled_lock_path
from rtstt.errors import ComponentError

FORMAT = 1
PYPI = "https://pypi.org/simple"


@dataclass(frozen=True)
class Lock:
    app_version: str
    python: str  # "3.11": wheels must match the frozen interpreter
    platform: str  # sysconfig.get_platform() of the build, e.g. "win-amd64"
    variant: str  # "cpu" or "cuda"
    indexes: tuple[str, ...] = (PYPI,)
    features: dict[str, tuple[str, ...]] = field(default_factory=dict)  # feature -> ("torch==2.9.1", ...)

    def pins(self, features: Iterable[str]) -> list[str]:
        """Every distribution the named features need, each once."""
        out: dict[str, str] = {}
        for name in features:
            for pin in self.features.get(name, ()):
                out[pin_name(pin)] = pin
        return [out[k] for k in sorted(out)]

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "app_version": self.app_version,
            "python": self.python,
            "platform": self.platform,
            "variant": self.variant,
            "indexes": list(self.indexes),
            "features": {k: list(v) for k, v in self.features.items()},
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Lock:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"lock format {data.get('format')!r}, expected {FORMAT}")
        return cls(
            app_version=str(data["app_version"]),
            python=str(data["python"]),
            platform=str(data["platform"]),
            variant=str(data["variant"]),
            indexes=tuple(data.get("indexes") or (PYPI,)),
            features={k: tuple(v) for k, v in data["features"].items()},
        )


def pin_name(pin: str) -> str:
    return canonicalize_name(pin.split("==", 1)[0])


def pin_version(pin: str) -> str:
    return pin.split("==", 1)[1]


def load_lock(path: Path) -> Lock:
    try:
        return Lock.from_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ComponentError(
            f"the component list {path} cannot be read: {exc}", "reinstall RTSTT to restore it"
        ) from exc


def bundled_lock() -> Lock | None:
    """The lock inside a frozen build; None when running from source (pip installs the extras there)."""
    path = bundled_lock_path()
    return load_lock(path) if path is not None else None


def build_lock(
    bundled: Iterable[str], variant: str, app_version: str, indexes: Iterable[str] = (PYPI,)
) -> tuple[Lock, dict[str, str]]:
    """Lock every feature whose packages are installed here; returns the lock and, per feature left out, why."""
    skip = {canonicalize_name(b) for b in bundled}
    features: dict[str, tuple[str, ...]] = {}
    problems: dict[str, str] = {}
    for feat in FEATURES.values():
        try:
            found = feature_closure(feat, variant)
        except metadata.PackageNotFoundError as exc:
            problems[feat.name] = f"{exc.args[0] if exc.args else exc} is not installed in the build environment"
            continue
        features[feat.name] = tuple(f"{name}=={ver}" for name, ver in sorted(found.items()) if name not in skip)
    lock = Lock(
        app_version=app_version,
        python=f"{sys.version_info.major}.{sys.version_info.minor}",
        platform=sysconfig.get_platform(),
        variant=variant,
        indexes=tuple(indexes),
        features=features,
    )
    return lock, problems


def feature_closure(feat: Feature, variant: str) -> dict[str, str]:
    """Every installed distribution the feature imports, the bundled ones included."""
    roots = [r for r in feat.roots if variant == "cuda" or r not in feat.cuda_only]
    return closure(roots, no_deps=feat.no_deps)


def closure(
    roots: Iterable[str],
    no_deps: Iterable[str] = (),
    environment: dict[str, str] | None = None,
    missing: set[str] | None = None,
) -> dict[str, str]:
    """Installed distributions reachable from `roots` through their requirements, markers evaluated here
    (or in `environment`, e.g. Windows's, for estimates; dependencies not installed here then go to `missing`)."""
    stop = {canonicalize_name(n) for n in no_deps}
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [Requirement(r) for r in roots]
    base_env = {**default_environment(), **(environment or {})}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            if missing is None:
                raise
            missing.add(name)
            continue
        found[name] = dist.version
        if name in stop:
            continue
        for raw in dist.requires or ():
            dep = Requirement(raw)
            if dep.marker is not None:
                extras = [*req.extras, ""]
                if not any(dep.marker.evaluate({**base_env, "extra": e}) for e in extras):
                    continue
            todo.append(dep)
    return found
