"""Every public function, class and method of the library documents its parameters and
what it returns, in numpydoc sections (ruff checks the docstrings' form; this checks
that the sections match the signatures, which ruff's pydocstyle rules cannot)."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import re

import pytest

import correlation_platform

#: Dagster definitions document themselves in the UI (asset descriptions, config
#: schemas); their parameters are injected resources, not a library API.
EXEMPT_PACKAGES = ("correlation_platform.orchestration",)
SECTION = re.compile(r"^\s*(\w[\w ]*)\n\s*-{3,}\s*$", re.MULTILINE)


def _public_objects():
    for info in pkgutil.walk_packages(correlation_platform.__path__, "correlation_platform."):
        if info.name.startswith(EXEMPT_PACKAGES) or "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj
            elif inspect.isclass(obj):
                yield f"{info.name}.{name}", obj
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not inspect.isfunction(member):
                        continue
                    yield f"{info.name}.{name}.{attr}", member


def _sections(doc: str) -> dict[str, str]:
    marks = list(SECTION.finditer(doc))
    return {
        m.group(1).strip(): doc[m.end() : marks[k + 1].start() if k + 1 < len(marks) else None]
        for k, m in enumerate(marks)
    }


def _documented(section: str) -> set[str]:
    names = set()
    lines = [line for line in section.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    for line in lines:
        if len(line) - len(line.lstrip()) == indent:
            head = line.strip().split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def _problems(qualname: str, obj) -> list[str]:
    # A class must carry its own docstring (getdoc would fall back to a base class's).
    own = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
    doc = inspect.getdoc(obj) if own or not inspect.isclass(obj) else None
    if not doc:
        return ["no docstring"]
    sections = _sections(doc)
    problems = []
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = [
            p.name
            for p in inspect.signature(target).parameters.values()
            if p.name not in ("self", "cls")
        ]
    except (TypeError, ValueError):
        params = []
    if inspect.isclass(obj) and (
        target is object.__init__ or issubclass(obj, enum.Enum | BaseException)
    ):
        params = []
    if params:
        documented = _documented(sections.get("Parameters", "")) | (
            _documented(sections.get("Attributes", "")) if inspect.isclass(obj) else set()
        )
        missing = [p for p in params if p not in documented]
        if missing:
            problems.append(f"parameters not documented: {missing}")
    if inspect.isfunction(obj):
        annotation = inspect.signature(obj).return_annotation
        returns = annotation not in (None, "None", inspect.Signature.empty)
        if returns and not ({"Returns", "Yields"} & set(sections)):
            problems.append("no Returns section")
    return problems


def test_public_api_documents_parameters_and_returns():
    failures = {q: p for q, obj in _public_objects() if (p := _problems(q, obj))}
    assert not failures, "\n".join(f"{q}: {'; '.join(p)}" for q, p in sorted(failures.items()))


@pytest.mark.parametrize(
    ("doc", "names"),
    [
        ("x : int\n    A.\ny, z : float\n    B.\n**kwargs\n    C.", {"x", "y", "z", "kwargs"}),
        ("", set()),
    ],
)
def test_the_parameter_reader_itself(doc, names):
    assert _documented(doc) == names
