"""Floor-plan import: DXF written by ezdxf, GeoJSON written by hand, scene files naming a drawing."""

import json

import numpy as np
import pytest

from radiomap.channel import trace
from radiomap.errors import SceneError
from radiomap.scene import get_scene, load_scene, save_scene
from radiomap.scene.floorplan import read_floorplan, with_floorplan

ezdxf = pytest.importorskip("ezdxf")


def _dxf(path, units=6, scale=1.0):
    """A 10 m x 6 m room (closed LWPOLYLINE on WALLS-OUTER), a partition (LINE on WALLS-INNER) with a
    two-segment POLYLINE, and furniture and text on layers that are not walls."""
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = units
    msp = doc.modelspace()
    s = scale
    msp.add_lwpolyline([(0, 0), (10 * s, 0), (10 * s, 6 * s), (0, 6 * s)], close=True,
                       dxfattribs={"layer": "WALLS-OUTER"})
    msp.add_line((5 * s, 0), (5 * s, 3.5 * s), dxfattribs={"layer": "WALLS-INNER"})
    msp.add_polyline2d([(7 * s, 6 * s), (7 * s, 4 * s), (8.5 * s, 4 * s)], dxfattribs={"layer": "WALLS-INNER"})
    msp.add_circle((2 * s, 2 * s), 0.5 * s, dxfattribs={"layer": "FURNITURE"})
    msp.add_line((1 * s, 1 * s), (2 * s, 1 * s), dxfattribs={"layer": "FURNITURE"})
    msp.add_text("Room 1", dxfattribs={"layer": "TEXT"})
    doc.saveas(path)
    return path


LAYERS = {"WALLS-OUTER": "concrete", "WALLS-INNER": "drywall"}


def test_dxf_entities_layers_and_materials(tmp_path):
    walls = read_floorplan(_dxf(tmp_path / "plan.dxf"), layer_materials=LAYERS, z_max=4.5)
    assert len(walls) == 4 + 1 + 2  # closed polyline, line, 2-segment polyline; furniture skipped
    assert [w.material for w in walls] == ["concrete"] * 4 + ["drywall"] * 3
    assert walls[3].start == (0.0, 6.0) and walls[3].end == (0.0, 0.0)  # closing segment
    assert walls[4].start == (5.0, 0.0) and walls[4].end == (5.0, 3.5)
    assert all(w.z_min == 0.0 and w.z_max == 4.5 for w in walls)


@pytest.mark.parametrize(("units", "scale"), [(4, 1000.0), (5, 100.0), (6, 1.0)])
def test_dxf_units_from_header(tmp_path, units, scale):
    walls = read_floorplan(_dxf(tmp_path / "plan.dxf", units=units, scale=scale), layer_materials=LAYERS)
    np.testing.assert_allclose(walls[1].end, (10.0, 6.0))


def test_dxf_unit_override_and_default_material(tmp_path):
    walls = read_floorplan(_dxf(tmp_path / "plan.dxf", units=0, scale=1000.0), layer_materials={},
                           default_material="brick", unit_m=0.001)
    assert len(walls) == 8 and {w.material for w in walls} == {"brick"}  # furniture LINE included
    np.testing.assert_allclose(walls[1].end, (10.0, 6.0))


def _geojson(path):
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"layer": "outer"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 6], [0, 6], [0, 0]]]}},
        {"type": "Feature", "properties": {"layer": "inner"},
         "geometry": {"type": "LineString", "coordinates": [[5, 0], [5, 3.5]]}},
        {"type": "Feature", "properties": {"layer": "inner"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[[[7, 4], [8, 4], [8, 5], [7, 4]]]]}},
        {"type": "Feature", "properties": {"layer": "ap"}, "geometry": {"type": "Point", "coordinates": [1, 1]}},
    ]}
    path.write_text(json.dumps(data))
    return path


def test_geojson_lines_polygons_and_layers(tmp_path):
    layers = {"outer": "concrete", "inner": "drywall"}
    walls = read_floorplan(_geojson(tmp_path / "plan.geojson"), layer_materials=layers)
    assert len(walls) == 4 + 1 + 3
    assert [w.material for w in walls].count("drywall") == 4
    assert walls[4].start == (5.0, 0.0)


def test_scene_file_with_floorplan_table_traces(tmp_path):
    _dxf(tmp_path / "plan.dxf")
    base = get_scene("xing-indoor").to_dict()
    base.pop("walls")
    base.pop("walkable")
    base.pop("walks")
    base["aps"] = base["aps"][:2]
    base["aps"][0]["position"], base["aps"][1]["position"] = [1.0, 1.0, 2.5], [9.0, 5.0, 2.5]
    base["floorplan"] = {"file": "plan.dxf", "layers": {"WALLS-OUTER": "concrete", "WALLS-INNER": "drywall"},
                         "z_max": 4.5}
    (tmp_path / "building.json").write_text(json.dumps(base))
    scene = load_scene(tmp_path / "building.json")
    assert len(scene.walls) == 7 and scene.bounds == (0.3, 9.7, 0.3, 5.7)
    pos = scene.grid(1.0)
    paths = trace(scene, pos)
    assert paths.los.any() and not paths.los.all()
    again = load_scene(save_scene(scene, tmp_path / "expanded.toml"))  # saved with the walls expanded
    assert len(again.walls) == 7


def test_with_floorplan_checks_materials(tmp_path):
    walls = read_floorplan(_geojson(tmp_path / "plan.geojson"), layer_materials={"outer": "concrete", "inner": "glass"})
    with pytest.raises(SceneError, match=r"\['glass'\] are not in the scene's materials"):
        with_floorplan(get_scene("xing-indoor"), walls)
    ok = read_floorplan(tmp_path / "plan.geojson", layer_materials={"outer": "concrete", "inner": "drywall"})
    scene = with_floorplan(get_scene("xing-indoor"), ok)
    assert len(scene.walls) == 8 and scene.bounds == (0.3, 9.7, 0.3, 5.7)


@pytest.mark.parametrize(("name", "content", "match"), [
    ("bad.dxf", "this is not a dxf file\n", "not a readable DXF file"),
    ("bad.geojson", "{not json", "not valid JSON"),
    ("bad.geojson", json.dumps({"features": []}), "not a GeoJSON object"),
    ("bad.geojson", json.dumps({"type": "LineString", "coordinates": [[0, 0]]}), "malformed geometry"),
    ("bad.geojson", json.dumps({"type": "Feature", "geometry": {"type": "Curve", "coordinates": []}}),
     "malformed geometry"),
    ("bad.geojson", json.dumps({"type": "Point", "coordinates": [0, 0]}), "no wall segments"),
    ("plan.svg", "<svg/>", "expected .dxf, .geojson or .json"),
])
def test_malformed_files_give_one_line_scene_errors(tmp_path, name, content, match):
    (tmp_path / name).write_text(content)
    with pytest.raises(SceneError, match=match) as err:
        read_floorplan(tmp_path / name)
    assert "\n" not in str(err.value)


def test_unmapped_layers_are_named_in_the_error(tmp_path):
    with pytest.raises(SceneError, match=r"layers in the file: \['FURNITURE', 'WALLS-INNER', 'WALLS-OUTER'\]"):
        read_floorplan(_dxf(tmp_path / "plan.dxf"), layer_materials={"WALLS": "concrete"})


def test_missing_file_and_bad_floorplan_table(tmp_path):
    with pytest.raises(SceneError, match="does not exist"):
        read_floorplan(tmp_path / "none.dxf")
    base = get_scene("xing-indoor").to_dict()
    base["floorplan"] = {"path": "plan.dxf"}
    (tmp_path / "s.json").write_text(json.dumps(base))
    with pytest.raises(SceneError, match="'floorplan' needs a 'file' entry"):
        load_scene(tmp_path / "s.json")
