"""Embedded default: SQLite, no broker, DEBUG on, two-factor not enforced (demo)."""

from config.env import env_bool

from .base import *  # noqa: F403
from .base import TEMPLATES

DEBUG = env_bool("DEBUG", True)
TEMPLATES[0]["OPTIONS"]["debug"] = DEBUG
