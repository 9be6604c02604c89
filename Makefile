# nianbao: `make demo` crawls the bundled demo site; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
NIANBAO = $(VENV)/bin/nianbao
DEB_PACKAGES = tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-osd antiword catdoc poppler-utils fonts-wqy-microhei libreoffice-writer-nogui chromium libjs-jquery

.PHONY: all venv deb demo test lint bench clean

all: venv

# Debian packages: OCR (tesseract chi_sim, osd for page orientation), DOC/WPS text (antiword, catdoc), PDF tools,
# chromium for the crawl's browser (Playwright launches /usr/bin/chromium: no browser download), jQuery for the demo site.
# Installed only when missing and when we can (root or sudo); otherwise the features degrade and
# the tests that need them skip with a reason.
deb:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO=none; fi; \
	  if [ "$$SUDO" = none ]; then echo "note: cannot install$$missing (not root); OCR/DOC features will be skipped"; \
	  else echo "installing Debian packages:$$missing"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || echo "warning: apt-get failed for$$missing"; fi; \
	fi

$(VENV)/.installed: pyproject.toml setup.py pipelines/text/_pdfium_loops.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: deb venv
	$(PY) -m demo_site.run_demo

test: deb venv
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf data/demo build *.egg-info .pytest_cache
