"""The content library: advice files and data that editors own, validated and hot-reloaded."""

from blether.content.errors import ContentError
from blether.content.library import ContentLibrary

__all__ = ["ContentError", "ContentLibrary"]
