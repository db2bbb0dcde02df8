import sys
from pathlib import Path

# harness.py sits beside the tests; pytest's rootdir-relative import mode needs this.
sys.path.insert(0, str(Path(__file__).parent))
