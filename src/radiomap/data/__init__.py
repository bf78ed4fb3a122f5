"""Data: ``CSIDataset`` (HDF5 schema v1) and seeded splits."""

from radiomap.data.dataset import CSIDataset, concat
from radiomap.data.schema import SCHEMA_VERSION
from radiomap.data.splits import leave_point_out_split, random_split, region_split, trajectory_split

__all__ = ["SCHEMA_VERSION", "CSIDataset", "concat", "leave_point_out_split", "random_split", "region_split",
           "trajectory_split"]
