"""Exception types. Every message is one line naming what is wrong and what was expected."""


class RadiomapError(ValueError):
    """Base class of the package's user-facing errors."""


class DataError(RadiomapError):
    """A dataset or file is malformed: missing field, wrong shape or dtype, NaN/Inf, bad schema."""


class SceneError(RadiomapError):
    """A scene description is invalid or unknown."""


class NotFittedError(RadiomapError):
    """A localizer was asked to predict or save before ``fit``."""


class ParameterError(RadiomapError):
    """A hyper-parameter or argument is out of range."""


class OutputError(RadiomapError):
    """An output location cannot be written safely (exists, is foreign, is an input, not writable)."""
