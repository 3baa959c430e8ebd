import sys
from pathlib import Path

# tests/oracle.py is shared by the codec and schema tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
