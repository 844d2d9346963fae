"""Engine tests import the shared helpers of tests/ (``libreoffice``) by module name."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
