"""Scenes: floor plans, materials, access points and arrays, OFDM numerology, presets."""

from radiomap.scene.arrays import ULA, UPA, ula_steering
from radiomap.scene.elements import OFDM, AccessPoint, Material, Slab, Walk, Wall
from radiomap.scene.io import get_scene, list_scenes, load_scene, save_scene
from radiomap.scene.measured import measured_scene
from radiomap.scene.scene import REGION_NAMES, Scene, region_codes

__all__ = [
    "OFDM", "REGION_NAMES", "ULA", "UPA", "AccessPoint", "Material", "Scene", "Slab", "Wall", "Walk",
    "get_scene", "list_scenes", "load_scene", "measured_scene", "region_codes", "save_scene", "ula_steering",
]
