"""Scene export for Sionna: PLY quads read back, planes, XML materials (no Sionna needed)."""

import re

import numpy as np
from sionna_scenes import room_scene

from radiomap.channel.sionna_rt import scene_planes, scene_quads, write_sionna_scene


def _read_ply(path):
    raw = path.read_bytes()
    head, body = raw.split(b"end_header\n", 1)
    assert b"binary_little_endian" in head
    verts = np.frombuffer(body[:48], dtype="<f4").reshape(4, 3)
    faces = np.frombuffer(body[48:], dtype=[("n", "u1"), ("i", "<i4", (3,))])
    return verts, faces


def test_ply_quads_and_planes(tmp_path):
    scene = room_scene()
    xml = write_sionna_scene(scene, tmp_path)
    quads, mats = scene_quads(scene)
    pts, nrm = scene_planes(scene)
    assert quads.shape == (len(scene.walls) + len(scene.slabs), 4, 3)
    np.testing.assert_allclose(np.linalg.norm(nrm, axis=1), 1.0)
    for i, q in enumerate(quads):
        name = f"wall-{i}" if i < len(scene.walls) else f"slab-{i - len(scene.walls)}"
        verts, faces = _read_ply(tmp_path / "meshes" / f"{name}.ply")
        np.testing.assert_allclose(verts, q, atol=1e-6)
        assert (faces["n"] == 3).all() and faces["i"].tolist() == [[0, 1, 2], [0, 2, 3]]
        # every corner lies on the plane used by the image method
        np.testing.assert_allclose((q - pts[i]) @ nrm[i], 0.0, atol=1e-12)
    text = xml.read_text()
    assert len(re.findall(r'<shape type="ply"', text)) == len(quads)
    assert text.count('type="radio-material"') == len(set(mats)) == 1
    # the east wall runs from (8, 0) to (8, 6), 0..3 m
    np.testing.assert_allclose(quads[1], [[8, 0, 0], [8, 6, 0], [8, 6, 3], [8, 0, 3]])


def test_slabs_cover_the_scene_box():
    scene = room_scene()
    quads, _ = scene_quads(scene, slab_margin=0.5)
    floor = quads[len(scene.walls)]
    assert floor[:, 0].min() == -0.5 and floor[:, 0].max() == 8.5
    assert floor[:, 1].min() == -0.5 and floor[:, 1].max() == 6.5
    np.testing.assert_allclose(floor[:, 2], 0.0)
