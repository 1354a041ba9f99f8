"""Sphinx configuration of matinv's documentation (``bash scripts/docs.sh`` builds it)."""

import matinv

project = "matinv"
author = "the matinv developers"
copyright = "the matinv developers"
# One version for the Rust crates and the Python package (CHANGELOG.md, version policy).
release = matinv.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build"]
# Sources are Markdown pages that also read well on GitHub: links to other pages are plain
# `page.md#heading` links, resolved through the headings' anchors.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# No network: no intersphinx, a builtin theme.
html_theme = "alabaster"
html_title = f"matinv {release}"
html_static_path = []

# numpydoc: the docstrings' own sections, no autosummary tables of class members, and
# validation left to the docstrings' review (only errors that break the build count).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"

# References to numpy's own objects (`numpy.linalg.inv`) in the docstrings cannot resolve
# without intersphinx; everything else must.
nitpicky = False

