"""The generated office-floor preset: size, structure, reproducibility, CLI."""

import numpy as np

from radiomap.scene import get_scene, list_scenes
from radiomap.scene.office import office_floor


def test_office_floor_preset_is_the_generator_output():
    scene = get_scene("office-floor")
    assert "office-floor" in list_scenes()
    assert scene.to_dict() == office_floor().to_dict()  # scripts/make_office_floor.py regenerates it
    assert len(scene.walls) >= 300 and len(scene.aps) >= 4
    assert {w.material for w in scene.walls} == {"concrete", "brick", "drywall"}


def test_office_floor_structure():
    scene = office_floor(rooms_per_row=3, bands=1)
    assert len(scene.walls) == (7 * 1 + 1) * 3 + 4 * 1
    # a user in a room sees the corridor AP through the door, not through the wall next to it
    ap = scene.aps[0]
    x_door = ap.position[0]
    in_room = np.array([[x_door, 9.0, 1.5], [x_door + 1.4, 9.0, 1.5]])
    los = scene.los(in_room)[:, 0]
    assert los.tolist() == [True, False]
    walk = scene.walks["train"]
    assert scene.contains(np.asarray(walk.waypoints)).all()
    assert len(scene.grid(0.5)) > 0


def test_office_floor_cli(tmp_path):
    from typer.testing import CliRunner

    from radiomap.cli.app import app

    out = tmp_path / "office.png"
    res = CliRunner().invoke(app, ["plot", "office-floor", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 10_000
    res = CliRunner().invoke(app, ["scenes"])
    assert res.exit_code == 0 and "office" in res.output and "308" in res.output
