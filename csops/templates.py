"""The shipped templates (default policy, record skeletons, CI files), wherever csops runs from.

`pyproject.toml` installs the project's top-level `templates/` folder as the package
`csops.templates_data`; a source checkout run without installing reads the folder directly.
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def templates_dir():
    """A Traversable (importlib.resources) or a Path holding the templates."""
    try:
        from importlib.resources import files

        installed = files("csops.templates_data")
        if installed.joinpath("policy.yaml").is_file():
            return installed
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def template_text(name: str) -> str:
    return templates_dir().joinpath(name).read_text(encoding="utf-8")
