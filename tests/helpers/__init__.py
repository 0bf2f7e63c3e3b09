"""What several tests share: generators, the hostile corpus, thread runners, exact references."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: symgrad/, tests/, examples/, README.md
