"""Write the ``office-floor`` preset (``src/radiomap/scene/presets/office-floor.toml``).

The preset is ``radiomap.scene.office.office_floor()`` with its defaults (20 rooms per row,
2 corridor bands: 308 wall segments, 4 APs); rerun this script after changing the generator::

    python scripts/make_office_floor.py
"""

from pathlib import Path

from radiomap.scene import save_scene
from radiomap.scene.office import office_floor

OUT = Path(__file__).resolve().parents[1] / "src" / "radiomap" / "scene" / "presets" / "office-floor.toml"


def main() -> Path:
    scene = office_floor()
    save_scene(scene, OUT, overwrite=True)
    print(f"wrote {OUT}: {len(scene.walls)} walls, {len(scene.aps)} APs")
    return OUT


if __name__ == "__main__":
    main()
