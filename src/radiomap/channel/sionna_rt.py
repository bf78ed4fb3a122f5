"""Optional Sionna RT backend: trace a radiomap ``Scene`` with ``sionna.rt.PathSolver``.

``trace_sionna(scene, positions)`` returns the same ``Paths`` as the built-in image-method
tracer (``radiomap.channel.trace``), so ``paths.cfr(scene.ofdm)`` gives CSI in the same
conventions. Sionna is imported lazily inside the functions: importing radiomap never needs it.

Scene export (``write_sionna_scene``)
-------------------------------------
- every wall becomes one vertical quad (two triangles) from ``start`` to ``end`` between
  ``z_min`` and ``z_max``: a single flat surface, as Sionna recommends for walls, whose radio
  material carries a slab ``thickness``;
- every slab becomes one horizontal quad at height ``z`` over the built-in tracer's bounding
  box (walkable outline, APs, wall end points) widened by ``slab_margin``;
- shapes are not merged, so every path interaction names its wall or slab.

Material mapping (``sionna_material_params``)
----------------------------------------------
Sionna RT 2.x uses the ITU-R P.2040 single-layer slab model (relative permittivity
``eps``, conductivity ``sigma``, thickness ``d``); radiomap's ``Material`` is a half-space
reflection coefficient plus an angle-independent one-way penetration loss. The mapping is:

- ``eps`` = ``Material.permittivity`` when given; otherwise the permittivity whose
  normal-incidence Fresnel coefficient has the magnitude of ``Material.reflection``:
  ``sqrt(eps) = (1 + |r|) / (1 - |r|)`` (Sionna's coefficient is angle dependent and negative
  at normal incidence, so a constant or positive ``r`` is only matched in magnitude there);
- ``d`` = ``thickness`` (default 0.2 m);
- ``sigma`` >= 0 solved (bisection) so that the slab's normal-incidence transmission loss
  equals ``penetration_db``; it is 0 when ``penetration_db`` is below the lossless slab's loss.

With a lossy slab the internal echoes die out and the slab reflection tends to the half-space
Fresnel coefficient that radiomap uses; for low penetration losses the slab reflection keeps
an interference term and differs (see ``docs/sionna-rt.md`` for measured numbers).

Antennas and polarisation: both ends use one isotropic, vertically polarised antenna
(``pattern="iso"``, ``polarization="V"``) at the array centre; the arrays are applied here,
from exact geometry. Reflections of horizontal paths on vertical walls are then transverse
electric, as the built-in Fresnel model (perpendicular polarisation) assumes; reflections on
floors and ceilings are transverse magnetic in Sionna (TE in radiomap).

Path geometry: Sionna computes in float32. For paths made of specular reflections and
refractions only (the default), lengths, per-element lengths and directions are recomputed
in float64 from the interaction sequence by the image method: mirroring across the planes
of the reflecting walls/slabs is an isometry, so ``element_length = |user - image(element)|``
exactly (spherical wavefront per element, as the built-in tracer). Paths with diffuse or
diffraction interactions use Sionna's interaction points with the first one held fixed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from radiomap import SPEED_OF_LIGHT
from radiomap.channel.paths import KIND_DIRECT, KIND_REFLECTION, KIND_SCATTERER, Paths
from radiomap.errors import ParameterError, RadiomapError, SceneError
from radiomap.scene.scene import Scene

EPSILON_0 = 8.8541878128e-12
"""Vacuum permittivity (F/m)."""

_LLVM_DEFAULT = "/usr/lib/x86_64-linux-gnu/libLLVM-19.so"

# sionna.rt.constants.InteractionType bit flags
_NONE, _SPECULAR, _DIFFUSE, _REFRACTION, _DIFFRACTION = 0, 1, 2, 4, 8


# -- material mapping (pure NumPy) ------------------------------------------------------------
def slab_coefficients(cos_theta: np.ndarray, eps: complex, thickness: float, wavelength: float):
    """ITU-R P.2040 single-layer slab coefficients (eqs. 37, 43, 44), as Sionna RT computes them.

    Parameters
    ----------
    cos_theta : array_like, float [...]
        Cosine of the incidence angle (w.r.t. the normal).
    eps : complex
        Relative permittivity ``eps_r - j sigma / (eps_0 omega)``.
    thickness : float
        Slab thickness (m).
    wavelength : float
        Vacuum wavelength (m).

    Returns
    -------
    r_te, r_tm, t_te, t_tm : ndarray, complex128 [...]
        Reflection and transmission coefficients for TE and TM polarisation.
    """
    c = np.asarray(cos_theta, dtype=np.float64)
    sin2 = 1.0 - c**2
    root = np.sqrt(eps - sin2 + 0j)
    r_te_p = (c - root) / (c + root)
    r_tm_p = (eps * c - root) / (eps * c + root)
    q = 2.0 * np.pi * thickness / wavelength * root
    e1, e2 = np.exp(-1j * q), np.exp(-2j * q)
    r_te = r_te_p * (1 - e2) / (1 - r_te_p**2 * e2)
    r_tm = r_tm_p * (1 - e2) / (1 - r_tm_p**2 * e2)
    t_te = (1 - r_te_p**2) * e1 / (1 - r_te_p**2 * e2)
    t_tm = (1 - r_tm_p**2) * e1 / (1 - r_tm_p**2 * e2)
    return r_te, r_tm, t_te, t_tm


def sionna_material_params(material, frequency_hz: float, thickness: float = 0.2) -> dict:
    """Sionna ``RadioMaterial`` parameters for a radiomap ``Material`` (mapping in the module doc).

    Parameters
    ----------
    material : Material
    frequency_hz : float
        Carrier (Hz).
    thickness : float
        Slab thickness (m, > 0).

    Returns
    -------
    dict[str, float]
        ``relative_permittivity`` (>= 1), ``conductivity`` (S/m, >= 0), ``thickness`` (m).
    """
    if not thickness > 0:
        raise ParameterError(f"thickness must be > 0 m, got {thickness}")
    if material.permittivity is not None:
        eps_r = float(material.permittivity)
    else:
        r = min(abs(float(material.reflection)), 0.999)
        eps_r = ((1.0 + r) / (1.0 - r)) ** 2
    wavelength = SPEED_OF_LIGHT / frequency_hz
    omega = 2.0 * np.pi * frequency_hz

    def loss_db(sigma: float) -> float:
        t = slab_coefficients(1.0, eps_r - 1j * sigma / (EPSILON_0 * omega), thickness, wavelength)[2]
        return float(-20.0 * np.log10(max(abs(t), 1e-300)))

    target = float(material.penetration_db)
    sigma = 0.0
    if target > loss_db(0.0):
        lo, hi = 0.0, 1e-3
        while loss_db(hi) < target and hi < 1e6:
            lo, hi = hi, hi * 4.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if loss_db(mid) < target else (lo, mid)
        sigma = 0.5 * (lo + hi)
    return {"relative_permittivity": eps_r, "conductivity": sigma, "thickness": float(thickness)}


# -- scene export (pure NumPy + files) ---------------------------------------------------------
def _slab_box(scene: Scene, margin: float) -> tuple[float, float, float, float]:
    """Horizontal extent of the slabs: the built-in tracer's box, widened by ``margin`` (m)."""
    wa = scene.wall_arrays
    xy = [scene.walkable, scene.ap_positions[:, :2], wa["a"], wa["b"]]
    pts = np.concatenate([p.reshape(-1, 2) for p in xy])
    lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def scene_quads(scene: Scene, slab_margin: float = 0.01) -> tuple[np.ndarray, list[str]]:
    """The reflecting surfaces of ``scene`` as quads.

    Parameters
    ----------
    scene : Scene
    slab_margin : float
        Overhang of the slabs beyond the tracer's box (m).

    Returns
    -------
    quads : ndarray, float64 [W + P, 4, 3]
        Corner points (m), walls first then slabs.
    materials : list of str [W + P]
        Material names.
    """
    quads, mats = [], []
    for w in scene.walls:
        (ax, ay), (bx, by) = w.start, w.end
        quads.append([[ax, ay, w.z_min], [bx, by, w.z_min], [bx, by, w.z_max], [ax, ay, w.z_max]])
        mats.append(w.material)
    x0, x1, y0, y1 = _slab_box(scene, slab_margin)
    for s in scene.slabs:
        quads.append([[x0, y0, s.z], [x1, y0, s.z], [x1, y1, s.z], [x0, y1, s.z]])
        mats.append(s.material)
    return np.asarray(quads, dtype=np.float64).reshape(-1, 4, 3), mats


def scene_planes(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Planes of the quads of ``scene_quads``, walls first then slabs.

    Parameters
    ----------
    scene : Scene

    Returns
    -------
    points : ndarray, float64 [W + P, 3]
        A point of each plane (m).
    normals : ndarray, float64 [W + P, 3]
        Unit normals (walls: ``(e_y, -e_x, 0)`` for the direction ``e`` start -> end; slabs: +z).
    """
    pts, normals = [], []
    for w in scene.walls:
        a, b = np.asarray(w.start, dtype=np.float64), np.asarray(w.end, dtype=np.float64)
        e = (b - a) / np.linalg.norm(b - a)
        pts.append([a[0], a[1], 0.0])
        normals.append([e[1], -e[0], 0.0])
    for s in scene.slabs:
        pts.append([0.0, 0.0, s.z])
        normals.append([0.0, 0.0, 1.0])
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
    return pts, np.asarray(normals, dtype=np.float64).reshape(-1, 3)


def _write_ply(path: Path, quad: np.ndarray) -> None:
    """Binary little-endian PLY with 4 vertices and 2 triangles."""
    header = ("ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
              "property float z\nelement face 2\nproperty list uchar int vertex_indices\nend_header\n")
    faces = np.zeros(2, dtype=[("n", "u1"), ("i", "<i4", (3,))])
    faces["n"] = 3
    faces["i"] = [[0, 1, 2], [0, 2, 3]]
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(np.asarray(quad, dtype="<f4").tobytes())
        f.write(faces.tobytes())


def _material_id(name: str) -> str:
    return "radiomap-" + "".join(ch if ch.isalnum() else "_" for ch in name)


def write_sionna_scene(scene: Scene, directory: str | Path, *, thickness: float = 0.2,
                       slab_margin: float = 0.01) -> Path:
    """Write ``scene`` as a Mitsuba/Sionna XML file with one PLY quad per wall and slab.

    Parameters
    ----------
    scene : Scene
    directory : str or Path
        Output folder (created).
    thickness : float
        Slab thickness of every radio material (m).
    slab_margin : float
        Slab overhang (m).

    Returns
    -------
    Path
        The XML file; shapes are named ``wall-<i>`` and ``slab-<j>`` (scene order).
    """
    out = Path(directory)
    (out / "meshes").mkdir(parents=True, exist_ok=True)
    quads, mats = scene_quads(scene, slab_margin)
    lines = ['<scene version="2.1.0">']
    for name in sorted(set(mats)):
        p = sionna_material_params(scene.materials[name], scene.ofdm.carrier_hz, thickness)
        lines += [f'  <bsdf type="radio-material" id="{_material_id(name)}">',
                  f'    <float name="relative_permittivity" value="{p["relative_permittivity"]!r}"/>',
                  f'    <float name="conductivity" value="{p["conductivity"]!r}"/>',
                  f'    <float name="thickness" value="{p["thickness"]!r}"/>',
                  "  </bsdf>"]
    for i, (quad, mat) in enumerate(zip(quads, mats, strict=True)):
        name = _shape_names(scene)[i]
        _write_ply(out / "meshes" / f"{name}.ply", quad)
        lines += [f'  <shape type="ply" id="{name}">',
                  f'    <string name="filename" value="meshes/{name}.ply"/>',
                  '    <boolean name="face_normals" value="true"/>',
                  f'    <ref id="{_material_id(mat)}" name="bsdf"/>',
                  "  </shape>"]
    lines.append("</scene>")
    xml = out / "scene.xml"
    xml.write_text("\n".join(lines) + "\n")
    return xml


def _shape_names(scene: Scene) -> list[str]:
    return [f"wall-{i}" for i in range(len(scene.walls))] + [f"slab-{j}" for j in range(len(scene.slabs))]


# -- Sionna output -> Paths (pure NumPy) ---------------------------------------------------------
def paths_from_sionna_arrays(
    scene: Scene,
    positions: np.ndarray,
    *,
    a: np.ndarray,
    tau: np.ndarray,
    valid: np.ndarray,
    interactions: np.ndarray,
    plane_index: np.ndarray,
    vertices: np.ndarray,
    max_order: int,
) -> Paths:
    """Convert Sionna path arrays (one antenna at every AP and user) into radiomap ``Paths``.

    Parameters
    ----------
    scene : Scene
        The radiomap scene that was traced.
    positions : array_like, float [N, 3]
        User positions (m).
    a : ndarray, complex [N, B, L]
        Sionna path coefficients (``Paths.a``: free-space loss, antenna patterns and material
        coefficients; like radiomap's ``gain`` they exclude ``exp(-j 2 pi f tau)``).
    tau : ndarray, float [N, B, L]
        Sionna delays (s).
    valid : ndarray, bool [N, B, L]
    interactions : ndarray, int [D, N, B, L]
        ``InteractionType`` flags (0 = none).
    plane_index : ndarray, int [D, N, B, L]
        Index into ``scene_planes`` of the surface hit (-1: unknown).
    vertices : ndarray, float [D, N, B, L, 3]
        Interaction points (m).
    max_order : int
        Paths with more specular reflections are dropped.

    Returns
    -------
    Paths
        ``[N, B, L']``; ``gain`` without the propagation phase, exact per-element lengths (see
        module doc).
    """
    pos = np.asarray(positions, dtype=np.float64)
    if np.shape(valid)[-1] == 0:  # no path at all: one invalid placeholder keeps the shapes regular
        a, tau, valid = (np.zeros(np.shape(x)[:-1] + (1,), dtype=np.asarray(x).dtype)
                         for x in (a, tau, valid))
        interactions, plane_index = (np.zeros(np.shape(x)[:-1] + (1,), dtype=np.int64)
                                     for x in (interactions, plane_index))
        vertices = np.zeros(np.shape(vertices)[:-2] + (1, 3))
    n, nb, n_l = np.shape(valid)
    d_max = interactions.shape[0]
    lam = scene.ofdm.wavelength
    o = scene.ap_positions  # [B, 3]
    elem = np.stack([ap.element_positions(lam) for ap in scene.aps])  # [B, A, 3]
    p_pt, p_nrm = scene_planes(scene)
    inter = np.asarray(interactions, dtype=np.int64)
    refl = (inter & _SPECULAR) > 0
    other = (inter & (_DIFFUSE | _DIFFRACTION)) > 0
    n_refl = refl.sum(0)
    is_other = other.any(0)
    ok = np.asarray(valid, bool) & (n_refl <= max_order)
    los = (np.asarray(valid, bool) & (inter == _NONE).all(0)).any(-1)
    pidx = np.asarray(plane_index, dtype=np.int64)
    if (refl & ok & (pidx < 0)).any():
        raise RadiomapError("a Sionna reflection hit a shape that is not a wall or slab of the scene")
    user = np.broadcast_to(pos[:, None, None, :], (n, nb, n_l, 3))
    # images of the array centre and elements across the reflecting planes, in path order
    img_o = np.broadcast_to(o[None, :, None, :], (n, nb, n_l, 3)).copy()
    img_e = np.broadcast_to(elem[None, :, None], (n, nb, n_l) + elem.shape[1:]).copy()  # [N, B, L, A, 3]
    for d in range(d_max):
        m = refl[d] & ok
        c, nr = p_pt[np.maximum(pidx[d], 0)], p_nrm[np.maximum(pidx[d], 0)]  # [N, B, L, 3]
        img_o = np.where(m[..., None], _mirror(img_o, c, nr), img_o)
        img_e = np.where(m[..., None, None], _mirror(img_e, c[..., None, :], nr[..., None, :]), img_e)
    # image of the user across the planes in reverse order: the first segment points at it
    img_u = user.copy()
    for d in range(d_max - 1, -1, -1):
        m = refl[d] & ok
        c, nr = p_pt[np.maximum(pidx[d], 0)], p_nrm[np.maximum(pidx[d], 0)]
        img_u = np.where(m[..., None], _mirror(img_u, c, nr), img_u)
    length = _norm(user - img_o)
    el_len = _norm(user[..., None, :] - img_e)
    departure = _unit(img_u - o[None, :, None, :])
    arrival = _unit(user - img_o)
    if is_other.any():
        length, el_len, departure, arrival = _fallback_geometry(
            is_other & ok, inter, np.asarray(vertices, dtype=np.float64), user, o, elem,
            (length, el_len, departure, arrival))
    spec = ok & ~is_other
    err = np.abs(length - np.asarray(tau, dtype=np.float64) * SPEED_OF_LIGHT)
    if (spec & (err > 1e-3 + 1e-5 * length)).any():
        raise RadiomapError(f"Sionna delays and image-method lengths differ by up to {err[spec].max():.3g} m")
    gain = np.asarray(a, dtype=np.complex128)  # Sionna applies exp(-j 2 pi f tau) only in cir()/cfr()
    kind = np.where(is_other, KIND_SCATTERER, np.where(n_refl > 0, KIND_REFLECTION, KIND_DIRECT))
    return Paths.from_candidates(
        positions=pos, ap_positions=o, element_positions=elem, los=los,
        gain=np.where(ok, gain, 0.0), length=np.where(ok, length, 1.0),
        element_length=np.where(ok[..., None], el_len, 1.0), departure=departure, arrival=arrival,
        valid=ok, order=np.where(is_other, np.maximum(n_refl, 1), n_refl).astype(np.int8),
        kind=kind.astype(np.int8),
    )


def _fallback_geometry(mask, inter, vertices, user, o, elem, current):
    """Lengths/directions from Sionna's interaction points for non-specular paths ``mask [N, B, L]``."""
    length, el_len, departure, arrival = (np.array(x) for x in current)
    has = inter != _NONE  # [D, N, B, L]
    start = np.broadcast_to(o[None, :, None, :], user.shape)
    total = np.zeros(mask.shape)
    prev = start
    first = user.copy()
    last = start.copy()
    seen = np.zeros(mask.shape, bool)
    for d in range(inter.shape[0]):
        v = np.where(has[d][..., None], vertices[d], prev)
        total += _norm(v - prev)
        first = np.where((has[d] & ~seen)[..., None], v, first)
        seen |= has[d]
        last = np.where(has[d][..., None], v, last)
        prev = v
    total += _norm(user - prev)
    first_leg = _norm(first - start)
    el_first = _norm(first[..., None, :] - elem[None, :, None])  # [N, B, L, A]
    length = np.where(mask, total, length)
    el_len = np.where(mask[..., None], el_first + (total - first_leg)[..., None], el_len)
    departure = np.where(mask[..., None], _unit(first - start), departure)
    arrival = np.where(mask[..., None], _unit(user - last), arrival)
    return length, el_len, departure, arrival


def _mirror(x: np.ndarray, c: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Mirror points ``x [..., 3]`` across planes through ``c`` with unit normals ``n`` (broadcast)."""
    return x - 2.0 * np.sum((x - c) * n, axis=-1, keepdims=True) * n


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(v * v, axis=-1))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(_norm(v), 1e-12)[..., None]


# -- the solver --------------------------------------------------------------------------------
def _import_sionna():
    """Import ``sionna.rt`` (LLVM path defaulted to Debian's libLLVM-19 when unset and present)."""
    if "DRJIT_LIBLLVM_PATH" not in os.environ and os.path.exists(_LLVM_DEFAULT):
        os.environ["DRJIT_LIBLLVM_PATH"] = _LLVM_DEFAULT
    try:
        import sionna.rt as rt
    except ImportError as exc:
        raise RadiomapError("the Sionna RT backend needs the extra: pip install 'radiomap[sionna-rt]' "
                            f"(and a system libLLVM on CPU, see docs/sionna-rt.md): {exc}") from exc
    return rt


def load_sionna_scene(scene: Scene, *, thickness: float = 0.2, slab_margin: float = 0.01):
    """Build a ``sionna.rt.Scene`` for ``scene`` (via a temporary XML + PLY folder).

    One isotropic, vertically polarised antenna per AP (transmitter ``ap-<b>``) and per receiver.

    Parameters
    ----------
    scene : Scene
    thickness, slab_margin : float
        As in ``write_sionna_scene`` (m).

    Returns
    -------
    sionna_scene : sionna.rt.Scene
    object_planes : dict[int, int]
        Sionna object id -> ``scene_planes`` index.

    Raises
    ------
    RadiomapError
        Sionna RT is not installed.
    SceneError
        A wall or slab shape is missing from the loaded scene.
    """
    rt = _import_sionna()
    with tempfile.TemporaryDirectory(prefix="radiomap-sionna-") as tmp:
        xml = write_sionna_scene(scene, tmp, thickness=thickness, slab_margin=slab_margin)
        s_scene = rt.load_scene(str(xml), merge_shapes=False)
    names = _shape_names(scene)
    objects = s_scene.objects
    missing = [nm for nm in names if nm not in objects]
    if missing:
        raise SceneError(f"Sionna scene lacks shapes {missing[:3]}")
    object_planes = {int(objects[nm].object_id): i for i, nm in enumerate(names)}
    s_scene.frequency = scene.ofdm.carrier_hz
    s_scene.tx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
    s_scene.rx_array = rt.PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
    for b, ap in enumerate(scene.aps):
        s_scene.add(rt.Transmitter(name=f"ap-{b}", position=[float(v) for v in ap.position]))
    return s_scene, object_planes


def trace_sionna(
    scene: Scene,
    positions: np.ndarray,
    *,
    max_order: int = 2,
    max_depth: int | None = None,
    velocity: np.ndarray | None = None,
    samples_per_src: int = 10**6,
    refraction: bool = True,
    diffuse_reflection: bool = False,
    diffraction: bool = False,
    thickness: float = 0.2,
    slab_margin: float = 0.01,
    batch: int = 256,
    seed: int = 0,
    progress: bool = False,
) -> Paths:
    """Trace the multipath between every AP and user position with Sionna RT's ``PathSolver``.

    Parameters
    ----------
    scene : Scene
        Walls, slabs, materials, APs; ``scatterers`` are ignored (Sionna traces surfaces only).
    positions : array_like, float [N, 3]
        User positions (m), traced as receivers ``batch`` at a time.
    max_order : int
        Highest number of specular reflections kept (paths with more are dropped).
    max_depth : int or None
        Sionna's interaction budget (reflections + refractions + ...); None means ``max_order + 2``
        so that paths crossing up to two walls are found.
    velocity : array_like, float [N, 3] or None
        User velocities (m/s); when given, ``Paths.doppler`` is filled.
    samples_per_src : int
        Rays shot per AP for candidate generation.
    refraction, diffuse_reflection, diffraction : bool
        Sionna's propagation switches.
    thickness, slab_margin : float
        Scene export (m, see ``write_sionna_scene``).
    batch : int
        Receivers per solver call.
    seed : int
        Sionna's sampling seed (deterministic candidate generator).
    progress : bool
        Progress bar over the batches.

    Returns
    -------
    Paths
        ``[N, B, L]``, as ``radiomap.channel.trace`` returns them (``L`` padded, see ``valid``).

    Raises
    ------
    SceneError
        Positions not [N, 3] or not finite.
    ParameterError
        ``max_order``, ``max_depth``, ``batch`` or ``velocity`` out of range or of another shape.
    RadiomapError
        Sionna RT is not installed.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise SceneError(f"positions must have shape [N, 3], got {pos.shape}")
    if not np.isfinite(pos).all():
        raise SceneError("positions contain NaN or Inf")
    if max_order < 0:
        raise ParameterError(f"max_order must be >= 0, got {max_order}")
    depth = max_order + 2 if max_depth is None else int(max_depth)
    if depth < max_order:
        raise ParameterError(f"max_depth ({depth}) must be >= max_order ({max_order})")
    if batch < 1:
        raise ParameterError(f"batch must be >= 1, got {batch}")
    if velocity is not None:
        velocity = np.asarray(velocity, dtype=np.float64)
        if velocity.shape != pos.shape:
            raise ParameterError(f"velocity must have shape {pos.shape}, got {velocity.shape}")
    rt = _import_sionna()
    from tqdm.auto import tqdm

    s_scene, object_planes = load_sionna_scene(scene, thickness=thickness, slab_margin=slab_margin)
    solver = rt.PathSolver(deterministic=True)
    opts = {"max_depth": depth, "samples_per_src": samples_per_src, "refraction": refraction,
            "diffuse_reflection": diffuse_reflection, "diffraction": diffraction, "seed": seed}
    chunks = []
    for i in tqdm(range(0, len(pos), batch), disable=not progress, desc="sionna-rt", unit="batch"):
        arrays = solve_sionna(s_scene, object_planes, pos[i:i + batch], solver=solver, **opts)
        chunks.append(paths_from_sionna_arrays(scene, pos[i:i + batch], max_order=max_order, **arrays))
    paths = Paths.concatenate(chunks) if len(chunks) != 1 else chunks[0]
    if velocity is not None:
        paths = paths.with_velocity(velocity, scene.ofdm.wavelength)
    return paths


def solve_sionna(s_scene, object_planes: dict[int, int], positions: np.ndarray, *, solver=None,
                 max_depth: int = 4, samples_per_src: int = 10**6, refraction: bool = True,
                 diffuse_reflection: bool = False, diffraction: bool = False, seed: int = 0) -> dict:
    """Run ``PathSolver`` once with ``positions`` as receivers and return Sionna's raw arrays.

    Parameters
    ----------
    s_scene : sionna.rt.Scene
    object_planes : dict[int, int]
        From ``load_sionna_scene``.
    positions : ndarray, float [N, 3]
        Receivers (m), added for this call and removed afterwards.
    solver : sionna.rt.PathSolver or None
        None: a deterministic one.
    max_depth, samples_per_src, refraction, diffuse_reflection, diffraction, seed
        Solver options (as in ``trace_sionna``).

    Returns
    -------
    dict[str, ndarray]
        The keyword arguments of ``paths_from_sionna_arrays``: ``a [N, B, L]`` complex128,
        ``tau [N, B, L]`` (s, float32 precision), ``valid [N, B, L]``, ``interactions [D, N, B, L]``,
        ``plane_index [D, N, B, L]``, ``vertices [D, N, B, L, 3]`` (m).
    """
    rt = _import_sionna()
    solver = rt.PathSolver(deterministic=True) if solver is None else solver
    names = [f"ue-{j}" for j in range(len(positions))]
    for nm, p in zip(names, positions, strict=True):
        s_scene.add(rt.Receiver(name=nm, position=[float(v) for v in p]))
    try:
        sp = solver(s_scene, max_depth=max_depth, samples_per_src=samples_per_src, synthetic_array=True,
                    los=True, specular_reflection=True, diffuse_reflection=diffuse_reflection,
                    refraction=refraction, diffraction=diffraction, seed=seed)
        return _sionna_arrays(sp, object_planes)
    finally:
        for nm in names:
            s_scene.remove(nm)


def _sionna_arrays(sp, object_planes: dict[int, int]) -> dict[str, np.ndarray]:
    """NumPy arrays ``[N, B, L]`` / ``[D, N, B, L(, 3)]`` from a ``sionna.rt.Paths`` (synthetic arrays)."""
    a_re, a_im = (np.asarray(x.numpy(), dtype=np.float64) for x in sp.a)
    a = (a_re + 1j * a_im)[:, 0, :, 0, :]  # [num_rx, num_tx, L]
    tau = np.asarray(sp.tau.numpy(), dtype=np.float64)
    valid = np.asarray(sp.valid.numpy(), dtype=bool)
    inter = np.asarray(sp.interactions.numpy(), dtype=np.int64)
    obj = np.asarray(sp.objects.numpy(), dtype=np.int64)
    verts = np.asarray(sp.vertices.numpy(), dtype=np.float64)
    if inter.ndim != 4 or inter.shape[1:] != tau.shape:  # no interaction axis (LOS-only solve)
        inter = np.zeros((0,) + tau.shape, dtype=np.int64)
        obj = np.zeros_like(inter)
        verts = np.zeros(inter.shape + (3,))
    return {"a": a, "tau": tau, "valid": valid, "interactions": inter,
            "plane_index": _lookup(obj, object_planes), "vertices": verts}


def _lookup(ids: np.ndarray, table: dict[int, int]) -> np.ndarray:
    """Map integer ids ``[...]`` through ``table`` (vectorised); ids not in it give -1."""
    keys = np.array(sorted(table), dtype=np.int64)
    if not len(keys):
        return np.full(ids.shape, -1, dtype=np.int64)
    vals = np.array([table[k] for k in keys], dtype=np.int64)
    at = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
    return np.where(keys[at] == ids, vals[at], -1)


__all__ = ["load_sionna_scene", "paths_from_sionna_arrays", "scene_planes", "scene_quads",
           "sionna_material_params", "slab_coefficients", "solve_sionna", "trace_sionna",
           "write_sionna_scene"]
