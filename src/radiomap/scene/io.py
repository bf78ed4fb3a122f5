"""Scene files (TOML or JSON) and the registry of preset scenes."""

from __future__ import annotations

import json
import os
import tomllib
from importlib import resources
from pathlib import Path

import tomli_w

from radiomap.atomic import write_text
from radiomap.errors import SceneError
from radiomap.scene.floorplan import expand_floorplan
from radiomap.scene.scene import Scene

_PRESET_DIR = "presets"


def list_scenes() -> list[str]:
    """Names of the built-in preset scenes.

    Returns
    -------
    list of str
        Sorted preset names (``chatelier-plane``, ``office-floor``, ...).
    """
    files = resources.files("radiomap.scene").joinpath(_PRESET_DIR).iterdir()
    return sorted(f.name[: -len(".toml")] for f in files if f.name.endswith(".toml"))


def get_scene(name_or_path: str | os.PathLike) -> Scene:
    """A preset by name or a scene file.

    Parameters
    ----------
    name_or_path : str or PathLike
        A name of ``list_scenes()`` (``xing-indoor``, ...) or a ``.toml`` / ``.json`` path.

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        Unknown preset name (the message lists the presets) or an unreadable file.
    """
    path = Path(name_or_path)
    if path.suffix in (".toml", ".json"):
        return load_scene(path)
    name = str(name_or_path)
    if name not in list_scenes():
        raise SceneError(f"unknown scene {name!r}; presets: {', '.join(list_scenes())} (or a .toml/.json file)")
    text = resources.files("radiomap.scene").joinpath(_PRESET_DIR, f"{name}.toml").read_text()
    return Scene.from_dict(tomllib.loads(text))


def load_scene(path: str | os.PathLike) -> Scene:
    """Read a scene from a ``.toml`` or ``.json`` file.

    Parameters
    ----------
    path : str or PathLike
        Scene file; a ``floorplan`` table in it adds a drawing's walls (``expand_floorplan``).

    Returns
    -------
    Scene

    Raises
    ------
    SceneError
        Missing file, other suffix, or a file that cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise SceneError(f"scene file {path} does not exist")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            data = json.loads(path.read_text())
        else:
            raise SceneError(f"scene file {path}: expected .toml or .json, got {path.suffix!r}")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SceneError(f"scene file {path} cannot be parsed: {exc}") from exc
    return Scene.from_dict(expand_floorplan(data, path.parent))


def save_scene(scene: Scene, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``scene`` to ``.toml`` or ``.json`` atomically.

    Parameters
    ----------
    scene : Scene
    path : str or PathLike
        Target; the suffix chooses the format.
    overwrite : bool
        ``radiomap.atomic`` rules: an existing file is replaced only when radiomap wrote it and
        ``overwrite`` is True.

    Returns
    -------
    Path
        The written file.
    """
    from radiomap import __version__

    path = Path(path)
    d = {"generator": f"radiomap {__version__}"} | _drop_none(scene.to_dict())
    if path.suffix == ".toml":
        text = tomli_w.dumps(d)
    elif path.suffix == ".json":
        text = json.dumps(d, indent=2)
    else:
        raise SceneError(f"scene file {path}: expected .toml or .json, got {path.suffix!r}")
    return write_text(path, text, overwrite=overwrite)


def _drop_none(obj):
    """TOML has no null: drop ``None`` entries (they mean 'default')."""
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
