"""Running whichtag as another user (uid 65534) in tests that need one: a folder only root may
read must stay unread, a file another user owns must keep its owner.

That user may not reach the checkout at all (a clone in a ``mktemp -d`` folder is mode 0700),
so neither the project's virtual environment nor its source can be used where they are: a
copy of whichtag and of the distributions it needs at run time goes into a folder everyone
may read, run by the base interpreter the virtual environment was made from."""

from __future__ import annotations

import os
import shutil
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

import whichtag


def _runtime_distributions(name: str) -> list[metadata.Distribution]:
    """``name``'s run-time requirements, and theirs, without extras."""
    found: dict[str, metadata.Distribution] = {}
    pending = [name]
    while pending:
        for text in metadata.requires(pending.pop()) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = requirement.name.lower().replace("_", "-")
            if key not in found:
                found[key] = metadata.distribution(requirement.name)
                pending.append(requirement.name)
    return list(found.values())


def runnable_copy(folder: Path) -> tuple[str, dict[str, str]]:
    """An interpreter and the environment (``PYTHONPATH``) with which any user can run
    ``python -m whichtag`` from a copy in ``folder`` (made once)."""
    if not (folder / "whichtag").exists():
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(Path(whichtag.__file__).parent, folder / "whichtag", ignore=ignore)
        for distribution in _runtime_distributions("whichtag"):
            for file in distribution.files or []:
                if file.parts and file.parts[0] == "..":
                    continue  # scripts and data outside site-packages
                source = Path(str(distribution.locate_file(file)))
                if source.is_file() and "__pycache__" not in file.parts:
                    (folder / file).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, folder / file)
        for path, _, names in os.walk(folder):
            os.chmod(path, 0o755)
            for name in names:
                os.chmod(os.path.join(path, name), 0o644)
        os.chmod(folder, 0o755)
    interpreter = getattr(sys, "_base_executable", sys.executable)
    return interpreter, {"PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
