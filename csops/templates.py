"""The shipped templates (default policy, record skeletons, CI files), wherever csops runs from.

`pyproject.toml` installs the project's top-level `templates/` folder as the package
`csops.templates_data`; a source checkout run without installing reads the folder directly.
"""

from __future__ import annotations

import functools
from pathlib import Path


@functools.lru_cache(maxsize=1)
def templates_dir():
    """A Path (or an importlib.resources Traversable) holding the templates: looked up as a
    folder first — installed beside the modules, or the checkout's own — since importlib.resources
    costs a write 3 ms of imports; anything else (a zip) through importlib.resources."""
    here = Path(__file__).resolve().parent
    for folder in (here / "templates_data", here.parent / "templates"):
        if (folder / "policy.yaml").is_file():
            return folder
    try:
        from importlib.resources import files

        installed = files("csops.templates_data")
        if installed.joinpath("policy.yaml").is_file():
            return installed
    except (ModuleNotFoundError, TypeError):
        pass
    return here.parent / "templates"


def template_text(name: str) -> str:
    try:
        return templates_dir().joinpath(name).read_text(encoding="utf-8")
    except OSError as exc:               # an install without its data files: one line, not a traceback
        from csops.errors import NotFound
        from csops.i18n import _

        raise NotFound(_("csops' template {name} cannot be read ({reason}): the installation is incomplete",
                         name=name, reason=exc.strerror or type(exc).__name__),
                       _('reinstall csops (pip install --force-reinstall csops, or pip install . in a checkout)')
                       ) from None
