"""Channels: ``Paths`` (geometric multipath), the built-in image-method tracer, CFR synthesis, noise."""

from radiomap.channel.noise import add_noise_snr, complex_gaussian, normalise_and_add_noise
from radiomap.channel.paths import KIND_NAMES, Paths, doppler_hz
from radiomap.channel.tracer import trace

__all__ = ["KIND_NAMES", "Paths", "add_noise_snr", "complex_gaussian", "doppler_hz", "normalise_and_add_noise", "trace"]
