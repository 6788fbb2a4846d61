"""The processes under test and their floors, started as real servers on free ports."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
