# Developer tasks. The test suite itself runs with `bash scripts/test.sh` (what CI runs).
PYTHON ?= python
FUZZ_INPUTS ?= 100000

.PHONY: test fuzz

test:
	$(PYTHON) -m pytest -q

# 100,000+ hostile inputs; records the counts in docs/fuzzing.md (commit that file by hand).
fuzz:
	PYTHONPATH=$(CURDIR) nice -n 10 $(PYTHON) scripts/fuzz.py --inputs $(FUZZ_INPUTS) --seed 0 --workers 2 --out docs/fuzzing.md
