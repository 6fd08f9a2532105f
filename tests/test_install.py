"""The install files agree: requirements.txt (readable lower bounds) is the entry
point, requirements-lock.txt pins every package of one resolution (uv pip compile),
and CI and the container install from it."""
from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def requirements(name: str) -> list[Requirement]:
    out = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            out.append(Requirement(line))
    return out


def lock() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m[1])] = Version(m[2])
    return pins


def test_lock_pins_every_requirement_within_its_bounds():
    pins = lock()
    assert len(pins) > 20  # the whole tree, not only the direct requirements
    for req in requirements("requirements.txt") + requirements("requirements-dev.txt"):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in requirements-lock.txt: regenerate it"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"{req.name}=={pins[name]} does not satisfy {req} in the lock: regenerate it"


def test_lock_is_generated_and_says_how():
    head = (ROOT / "requirements-lock.txt").read_text()[:600]
    assert "uv pip compile requirements-dev.txt -o requirements-lock.txt" in head
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_ci_and_container_install_from_the_lock_and_readme_commands_stay():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements-dev.txt -c requirements-lock.txt" in ci
    assert ci.index("requirements-lock.txt") < ci.index('bash -c "$cmd"')
    docker = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.txt -c requirements-lock.txt" in docker
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && streamlit run app.py" in readme
    assert "pip install -r requirements-dev.txt && python -m pytest -q" in readme
