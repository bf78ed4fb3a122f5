"""Walls from the floor-plan files users have: DXF (CAD drawings) and GeoJSON.

``read_floorplan(path, layer_materials=..., ...)`` returns the walls of a drawing as radiomap
``Wall`` segments; ``with_floorplan(scene, walls)`` puts them into a scene (APs, OFDM and
materials from the scene). A scene file can also name a drawing (see ``radiomap.scene.io``)::

    [floorplan]
    file = "level2.dxf"                      # relative to the scene file
    layers = { WALLS-CONCRETE = "concrete", WALLS-DRYWALL = "drywall" }
    unit_m = 0.001                           # drawing unit in metres (default: from the DXF header)

Entities read:

* DXF (``ezdxf``, the ``floorplan`` extra): ``LINE``, ``LWPOLYLINE`` and ``POLYLINE`` in the model
  space, each segment one wall (closed polylines include the closing segment; arc bulges are
  replaced by their chords). The drawing unit comes from ``$INSUNITS`` (mm, cm, m, inch, foot)
  unless ``unit_m`` is given; a unitless drawing is read as metres.
* GeoJSON (no extra dependency): ``LineString``, ``MultiLineString``, ``Polygon`` and
  ``MultiPolygon`` geometries of a ``FeatureCollection``, a ``Feature`` or a bare geometry, in a
  local metric frame (``unit_m`` scales them); a feature's layer is its ``layer`` property
  (``layer_property``).

``layer_materials`` maps a layer name to a material name of the scene; entities on other layers
(furniture, text, dimensions) are skipped unless ``default_material`` is given. Zero-length
segments are dropped. A file that cannot be read gives one ``SceneError`` line.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from radiomap.errors import SceneError
from radiomap.scene.elements import Wall
from radiomap.scene.scene import Scene

DXF_UNITS_M = {1: 0.0254, 2: 0.3048, 4: 0.001, 5: 0.01, 6: 1.0}
"""Metres per drawing unit for the DXF ``$INSUNITS`` codes read (inch, foot, mm, cm, m)."""
_MIN_LENGTH_M = 1e-6


def read_floorplan(
    path: str | os.PathLike,
    *,
    layer_materials: Mapping[str, str] | None = None,
    default_material: str | None = None,
    unit_m: float | None = None,
    z_min: float = 0.0,
    z_max: float = 3.0,
    layer_property: str = "layer",
) -> list[Wall]:
    """Walls of a ``.dxf`` or ``.geojson`` / ``.json`` floor plan.

    Parameters
    ----------
    path : str or PathLike
        The drawing.
    layer_materials : Mapping[str, str] or None
        Layer name -> material name (None: each layer's own name is its material).
    default_material : str or None
        Material of entities on layers not in ``layer_materials`` (None: skip them).
    unit_m : float or None
        Metres per drawing unit (None: the DXF header's unit, metres for GeoJSON).
    z_min, z_max : float
        Height range of every wall (m).
    layer_property : str
        GeoJSON feature property holding the layer name.

    Returns
    -------
    list of Wall
        In file order, one per drawn segment (zero-length ones dropped).

    Raises
    ------
    SceneError
        Missing or unreadable file, bad ``unit_m``/heights, or no wall on the mapped layers.
    """
    path = Path(path)
    if not path.is_file():
        raise SceneError(f"floor plan {path} does not exist")
    if not z_max > z_min:
        raise SceneError(f"floor plan {path}: z_max {z_max} must exceed z_min {z_min}")
    if unit_m is not None and not unit_m > 0:
        raise SceneError(f"floor plan {path}: unit_m must be > 0, got {unit_m}")
    suffix = path.suffix.lower()
    if suffix == ".dxf":
        unit, segments = _dxf_segments(path)
    elif suffix in (".geojson", ".json"):
        unit, segments = 1.0, _geojson_segments(path, layer_property)
    else:
        raise SceneError(f"floor plan {path}: expected .dxf, .geojson or .json, got {path.suffix!r}")
    scale = unit if unit_m is None else unit_m
    walls, layers = [], set()
    for layer, a, b in segments:
        layers.add(layer)
        material = (layer if layer_materials is None else layer_materials.get(layer)) or default_material
        if material is None:
            continue
        a, b = np.asarray(a, float) * scale, np.asarray(b, float) * scale
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise SceneError(f"floor plan {path}: non-finite coordinates on layer {layer!r}")
        if np.hypot(*(b - a)) < _MIN_LENGTH_M:
            continue
        walls.append(Wall(start=(float(a[0]), float(a[1])), end=(float(b[0]), float(b[1])),
                          z_min=float(z_min), z_max=float(z_max), material=str(material)))
    if not walls:
        raise SceneError(f"floor plan {path}: no wall segments on the mapped layers "
                         f"{sorted(layer_materials) if layer_materials is not None else '(all)'}; "
                         f"layers in the file: {sorted(layers) or 'none'}")
    return walls


def with_floorplan(scene: Scene, walls: Iterable[Wall], *, walkable: np.ndarray | None = None,
                   keep_walls: bool = False, margin_m: float = 0.3) -> Scene:
    """``scene`` with the floor plan's ``walls``.

    Parameters
    ----------
    scene : Scene
        Supplies APs, OFDM and materials.
    walls : Iterable[Wall]
        The drawing's walls; every material must be one of ``scene.materials`` (SceneError otherwise).
    walkable : ndarray, float [V, 2] or None
        Walkable outline polygon (m); None: the walls' bounding box shrunk by ``margin_m``.
    keep_walls : bool
        Keep the scene's own walls in front of the new ones.
    margin_m : float
        Shrink of the bounding box when ``walkable`` is None (m).

    Returns
    -------
    Scene
    """
    walls = tuple(walls)
    if walkable is None:
        walkable = _inner_box(walls, margin_m)
    missing = sorted({w.material for w in walls} - set(scene.materials))
    if missing:
        raise SceneError(f"floor plan materials {missing} are not in the scene's materials {sorted(scene.materials)}")
    return dataclasses.replace(scene, walls=(scene.walls if keep_walls else ()) + walls,
                               walkable=np.asarray(walkable, float))


def expand_floorplan(data: dict, base_dir: Path) -> dict:
    """A scene description whose ``floorplan`` table is replaced by the drawing's walls.

    Parameters
    ----------
    data : dict
        Scene description (``Scene.from_dict`` form). Its ``floorplan`` table: ``file`` (relative
        to ``base_dir``), optional ``layers`` (layer -> material), ``default_material``, ``unit_m``,
        ``z_min``, ``z_max``, ``layer_property``.
    base_dir : Path
        Folder of the scene file.

    Returns
    -------
    dict
        ``data`` itself without a ``floorplan`` table; otherwise a copy whose ``walls`` list has the
        drawing's walls appended and whose missing ``walkable`` is their bounding box less 0.3 m.
    """
    spec = data.get("floorplan")
    if spec is None:
        return data
    if not isinstance(spec, dict) or "file" not in spec:
        raise SceneError("scene description: 'floorplan' needs a 'file' entry")
    known = {"file", "layers", "default_material", "unit_m", "z_min", "z_max", "layer_property"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise SceneError(f"scene description: unknown 'floorplan' entries {unknown}; known: {sorted(known)}")
    walls = read_floorplan(base_dir / spec["file"], layer_materials=spec.get("layers"),
                           default_material=spec.get("default_material"), unit_m=spec.get("unit_m"),
                           z_min=float(spec.get("z_min", 0.0)), z_max=float(spec.get("z_max", 3.0)),
                           layer_property=str(spec.get("layer_property", "layer")))
    out = {k: v for k, v in data.items() if k != "floorplan"}
    out["walls"] = list(data.get("walls", [])) + [
        {"start": list(w.start), "end": list(w.end), "z_min": w.z_min, "z_max": w.z_max, "material": w.material}
        for w in walls]
    if "walkable" not in out:
        out["walkable"] = _inner_box(walls, 0.3).tolist()
    return out


def _inner_box(walls: tuple[Wall, ...] | list[Wall], margin_m: float) -> np.ndarray:
    """The walls' bounding box shrunk by ``margin_m`` as a polygon ``[4, 2]`` (m)."""
    pts = np.array([w.start for w in walls] + [w.end for w in walls], float)
    (x0, y0), (x1, y1) = pts.min(0) + margin_m, pts.max(0) - margin_m
    if not (x1 > x0 and y1 > y0):
        raise SceneError(f"floor plan extent {pts.min(0)} - {pts.max(0)} m is too small for a walkable area")
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _dxf_segments(path: Path) -> tuple[float, list]:
    """(metres per unit, [(layer, a [2], b [2]), ...]) of the model space of a DXF file."""
    try:
        import ezdxf
    except ImportError as exc:
        raise SceneError("reading DXF floor plans needs ezdxf: pip install 'radiomap[floorplan]'") from exc
    try:
        doc = ezdxf.readfile(path)
    except (OSError, ezdxf.DXFError, UnicodeDecodeError, ValueError) as exc:
        raise SceneError(f"floor plan {path} is not a readable DXF file: {exc}") from exc
    units = int(doc.header.get("$INSUNITS", 0) or 0)
    if units and units not in DXF_UNITS_M:
        raise SceneError(f"floor plan {path}: DXF unit code $INSUNITS={units} not supported "
                         f"(supported: {sorted(DXF_UNITS_M)}); pass unit_m")
    segments = []
    for e in doc.modelspace():
        kind, layer = e.dxftype(), str(e.dxf.layer)
        if kind == "LINE":
            pts, closed = [_xy(e.dxf.start), _xy(e.dxf.end)], False
        elif kind == "LWPOLYLINE":
            pts, closed = [_xy(p) for p in e.get_points("xy")], e.closed
        elif kind == "POLYLINE" and not (e.is_polygon_mesh or e.is_poly_face_mesh):
            pts, closed = [_xy(v.dxf.location) for v in e.vertices], e.is_closed
        else:
            continue
        if closed and len(pts) > 2:
            pts = pts + pts[:1]
        segments += [(layer, a, b) for a, b in zip(pts[:-1], pts[1:], strict=True)]
    return DXF_UNITS_M.get(units, 1.0), segments


def _xy(v) -> tuple[float, float]:
    return float(v[0]), float(v[1])


def _geojson_segments(path: Path, layer_property: str) -> list:
    """[(layer, a [2], b [2]), ...] of the line and polygon geometries of a GeoJSON file."""
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SceneError(f"floor plan {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or "type" not in data:
        raise SceneError(f"floor plan {path}: not a GeoJSON object (no 'type')")
    if data["type"] == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise SceneError(f"floor plan {path}: FeatureCollection without a 'features' list")
    elif data["type"] == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    segments = []
    for i, f in enumerate(features):
        geom = f.get("geometry") if isinstance(f, dict) else None
        if geom is None:
            continue
        layer = str((f.get("properties") or {}).get(layer_property, ""))
        try:
            lines = _geometry_lines(geom)
        except (KeyError, TypeError, ValueError) as exc:
            raise SceneError(f"floor plan {path}: feature {i} has a malformed geometry ({exc})") from exc
        for line in lines:
            segments += [(layer, a, b) for a, b in zip(line[:-1], line[1:], strict=True)]
    return segments


def _geometry_lines(geom: dict) -> list[np.ndarray]:
    """Vertex lists ``[V, 2]`` of a GeoJSON geometry's lines and polygon rings (points ignored)."""
    kind, coords = geom["type"], geom.get("coordinates")
    if kind == "GeometryCollection":
        return [line for g in geom["geometries"] for line in _geometry_lines(g)]
    if kind in ("Point", "MultiPoint"):
        return []
    nesting = {"LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
    if kind not in nesting:
        raise ValueError(f"unknown geometry type {kind!r}")
    lines = [coords]
    for _ in range(nesting[kind] - 1):
        lines = [inner for outer in lines for inner in outer]
    out = []
    for line in lines:
        arr = np.asarray(line, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 2 or len(arr) < 2:
            raise ValueError(f"{kind} needs lines of >= 2 positions [x, y], got shape {arr.shape}")
        out.append(arr[:, :2])
    return out
