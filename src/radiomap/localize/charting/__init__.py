"""Channel charting in real-world coordinates (Taner, Palhares, Studer), a seed-000 baseline."""

from radiomap.localize.charting.model import ChannelCharting

__all__ = ["ChannelCharting"]
