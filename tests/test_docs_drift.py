"""Docs that cannot drift: what README.md and docs/ say about the tree, checked against it.

* every page of docs/ is in a toctree of docs/index.md, and every toctree entry is a page;
* every relative link of README.md, CHANGELOG.md, bench/README.md and docs/*.md names an
  existing file and, for a Markdown file, one of its headings' anchors (MyST's anchors,
  which are GitHub's, for the headings docs/conf.py's ``myst_heading_anchors`` covers);
  so does every ``page.md#anchor`` written out in those pages and in the sources;
* the file maps of docs/ (code blocks that begin with a directory, such as
  ``crates/matinv/src/``) name only files that exist, docs/design.md's list every source
  file of the directories they map, and every source path the pages name exists;
* every benchmark number in README.md and in docs/performance.md's tables is the one in
  the results file the text names, to the digits shown, and README.md quotes no timing or
  speed-up outside such a table;
* no page carries a commit hash (it tells a reader nothing the text should not say).

Each failure names the file and line. Reads the source tree this file sits in (the tests
always run from the repository's tests/ directory, against an installed matinv they do
not import here); skipped when there is no such tree.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytestmark = pytest.mark.skipif(
    not (DOCS / "index.md").is_file() or not (ROOT / "README.md").is_file(),
    reason="needs the source tree (README.md, docs/) next to tests/",
)

# Markdown outside the Sphinx site, rendered by GitHub.
OUTSIDE_PAGES = ["README.md", "CHANGELOG.md", "bench/README.md"]
SOURCE_SUFFIXES = {".rs", ".py", ".pyi"}
SKIP_DIRS = {".git", ".venv", "target", "_build", "__pycache__", "node_modules"}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def site_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def all_pages() -> list[Path]:
    return [ROOT / p for p in OUTSIDE_PAGES if (ROOT / p).is_file()] + site_pages()


def tree_files() -> list[Path]:
    """Every file of the tree, build outputs and virtualenvs left out."""
    found = []
    for here, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".venv")]
        found += [Path(here, f) for f in files]
    return found


TREE = tree_files()
TREE_NAMES = {p.name for p in TREE}
TREE_PATHS = {rel(p) for p in TREE}


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# --- Markdown: fences, headings, anchors ------------------------------------------------

FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,}|:{3,})(.*)$")


def fenced_blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """(info string, line number of the opening fence, lines) of every fenced block."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start, body = m.group(1), m.group(2).strip(), i + 1, []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close and set(close) == {fence[0]} and len(close) >= len(fence):
                break
            body.append(lines[i])
            i += 1
        blocks.append((info, start, body))
        i += 1
    return blocks


def without_fences(text: str) -> str:
    """`text` with every fenced block's lines blanked (line numbers kept)."""
    lines = text.splitlines()
    for _, start, body in fenced_blocks(text):
        for k in range(start - 1, start + len(body) + 1):
            if k < len(lines):
                lines[k] = ""
    return "\n".join(lines) + "\n"


CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def without_code_spans(text: str) -> str:
    """Inline code blanked, newlines and offsets kept."""
    return CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def github_slug(title: str) -> str:
    """The anchor of a heading, as GitHub and MyST (myst_parser.slugs.github_slugify) make
    it from the heading's text: lower case, spaces to '-', everything but word characters,
    '-' and spaces dropped."""
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", title.lower().replace(" ", "-"))


def heading_text(raw: str) -> str:
    """What a heading reads as: code spans' content, links' text, no emphasis marks."""
    out = []
    for k, part in enumerate(re.split(r"(`+[^`]*`+)", raw.strip())):
        if k % 2:
            out.append(part.strip("`"))
            continue
        part = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", part)
        part = re.sub(r"\*+", "", part)
        part = re.sub(r"(?<!\w)_+|_+(?!\w)", "", part)
        out.append(part)
    return "".join(out)


HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)


@functools.cache
def myst_anchor_depth() -> int:
    m = re.search(r"^myst_heading_anchors\s*=\s*(\d+)", (DOCS / "conf.py").read_text(), re.M)
    return int(m.group(1)) if m else 0


@functools.cache
def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings: in the Sphinx site (docs/), MyST's, for
    headings down to `myst_heading_anchors`; elsewhere GitHub's, for every heading.
    Repeated slugs get -1, -2... as both do."""
    depth = myst_anchor_depth() if path.parent == DOCS else 6
    found: set[str] = set()
    for m in HEADING.finditer(without_fences(path.read_text(encoding="utf-8"))):
        if len(m.group(1)) > depth:
            continue
        slug = github_slug(heading_text(m.group(2)))
        if not slug:
            continue
        unique, k = slug, 1
        while unique in found:
            unique, k = f"{slug}-{k}", k + 1
        found.add(unique)
    return found


# --- a. the toctree ---------------------------------------------------------------------


def toctree_entries() -> list[tuple[str, int]]:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    entries = []
    for info, start, body in fenced_blocks(text):
        if not re.fullmatch(r"\{toctree\}.*", info):
            continue
        for k, line in enumerate(body):
            line = line.strip()
            if not line or line.startswith(":"):
                continue
            m = re.fullmatch(r".*<(.+)>", line)  # "Title <page>"
            entries.append(((m.group(1) if m else line).removesuffix(".md"), start + 1 + k))
    return entries


def test_every_page_is_in_the_toctree_and_every_entry_is_a_page():
    entries = toctree_entries()
    problems = [
        f"docs/index.md:{line}: toctree entry {name!r} has no page docs/{name}.md"
        for name, line in entries
        if not (DOCS / f"{name}.md").is_file()
    ]
    listed = {name for name, _ in entries}
    problems += [
        f"{rel(page)}:1: page is in no toctree of docs/index.md"
        for page in site_pages()
        if page.stem != "index" and page.stem not in listed
    ]
    assert entries, "docs/index.md has no toctree"
    assert not problems, "\n".join(problems)


# --- b. links and anchors ---------------------------------------------------------------

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# `page.md#anchor` written out, not as a link's target ("page.md" itself is the
# placeholder of comments that describe such links).
PLACEHOLDER = "page.md"
BARE_ANCHOR = re.compile(r"(?<![\w/.(-])((?:\.\./|[\w.-]+/)*[\w.-]+\.md)#([\w-]+)")


def anchor_problem(target: Path, anchor: str) -> str | None:
    if not target.exists():
        return "no such file"
    if anchor and target.suffix == ".md" and anchor not in anchors(target):
        return f"no heading of {rel(target)} has the anchor #{anchor}"
    return None


def link_problems(page: Path) -> list[str]:
    text = without_code_spans(without_fences(page.read_text(encoding="utf-8")))
    problems = []
    for m in LINK.finditer(text):
        url = m.group(1)
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url):
            continue  # https:, mailto:
        file, _, anchor = url.partition("#")
        target = (page.parent / file).resolve() if file else page
        why = anchor_problem(target, anchor)
        if why:
            problems.append(f"{rel(page)}:{line_of(text, m.start(1))}: link {url}: {why}")
    return problems


def bare_anchor_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    problems = []
    for m in BARE_ANCHOR.finditer(text):
        file, anchor = m.group(1), m.group(2)
        if file == PLACEHOLDER:
            continue
        candidates = [(path.parent / file).resolve(), (ROOT / file).resolve()]
        target = next((c for c in candidates if c.is_file()), candidates[-1])
        why = anchor_problem(target, anchor)
        if why:
            problems.append(f"{rel(path)}:{line_of(text, m.start())}: {file}#{anchor}: {why}")
    return problems


def files_naming_anchors() -> list[Path]:
    """The pages and the sources that may write out `page.md#anchor`."""
    suffixes = SOURCE_SUFFIXES | {".sh", ".toml"}
    fuzz = "crates/matinv-cli/fuzz/"  # inputs, not text
    return all_pages() + [p for p in TREE if p.suffix in suffixes and not rel(p).startswith(fuzz)]


def test_links_and_anchors_resolve():
    problems = []
    for page in all_pages():
        problems += link_problems(page)
    for path in files_naming_anchors():
        problems += bare_anchor_problems(path)
    assert not problems, "\n".join(problems)


# --- c. file maps and file names ----------------------------------------------------------

MAP_ROOT = re.compile(r"[\w.-]+(?:/[\w.-]+)*/")
MAP_ENTRY = re.compile(r"^( *)(\S+)(?:\s+(.*))?$")
NAMED_IN_DIR_LINE = re.compile(r"(?<![\w./-])([\w-]+\.(?:rs|py|pyi))\b")


def file_maps(page: Path) -> list[tuple[str, list[tuple[str, int]]]]:
    """The maps of a page: (root, [(path of an entry from the repository root, line)]).

    A map is a fenced block without a language whose lines begin at column 0 with a
    directory (`crates/matinv/src/`); each indented line names a file or a directory
    (ending in '/') inside the one two columns to its left. A directory's line may list
    its files after it instead (`svd/   numpy's svd: mod.rs (job), hermitian.rs`)."""
    maps = []
    text = page.read_text(encoding="utf-8")
    for info, start, body in fenced_blocks(text):
        lines = [(start + 1 + k, s) for k, s in enumerate(body) if s.strip()]
        if info or not lines or not MAP_ROOT.fullmatch(lines[0][1].split()[0]):
            continue
        stack: list[str] = []
        entries: list[tuple[str, int]] = []
        for line, s in lines:
            m = MAP_ENTRY.match(s)
            assert m, f"{rel(page)}:{line}: not a map line: {s!r}"
            depth, name, note = len(m.group(1)) // 2, m.group(2), m.group(3) or ""
            if depth == 0:
                stack, entries = [name.rstrip("/")], []
                maps.append((stack[0], entries))
                continue
            assert len(m.group(1)) % 2 == 0 and depth <= len(stack), (
                f"{rel(page)}:{line}: entry {name!r} indented under no directory"
            )
            path = f"{stack[depth - 1]}/{name.rstrip('/')}"
            entries.append((path, line))
            if name.endswith("/"):
                stack[depth:] = [path]
                entries += [(f"{path}/{f}", line) for f in NAMED_IN_DIR_LINE.findall(note)]
    return maps


def test_file_maps_name_existing_files():
    problems = []
    for page in site_pages():
        for _, entries in file_maps(page):
            problems += [
                f"{rel(page)}:{line}: the map names {path}, which does not exist"
                for path, line in entries
                if not (ROOT / path).exists()
            ]
    assert not problems, "\n".join(problems)


def test_design_maps_list_every_source_file():
    page = DOCS / "design.md"
    maps = file_maps(page)
    roots = {root for root, _ in maps}
    problems = [
        f"docs/design.md: no file map of {need}/"
        for need in ("crates/matinv/src", "python/matinv")
        if need not in roots
    ]
    for root, entries in maps:
        listed = {path for path, _ in entries}
        problems += [
            f"docs/design.md: the map of {root}/ lacks {r}"
            for p in TREE
            if p.suffix in SOURCE_SUFFIXES
            and (r := rel(p)).startswith(root + "/")
            and r not in listed
        ]
    assert not problems, "\n".join(problems)


# A path of the tree, with a suffix, as the pages write it: `crates/matinv/src/plan.rs`,
# `general/mod.rs` (inside a crate), `../bench/README.md`; or a file name alone (`plan.rs`).
PATH = re.compile(
    r"(?<![\w/.:-])((?:\.\./)*(?:[\w.-]+/)*[\w-]+\.(?:rs|py|pyi|sh|toml|md|json|txt|png))"
    r"(?![\w/-])"
)
# Named by the pages but not the tree's: a user's files in examples, other projects' files,
# and what a script writes when run.
NOT_THE_TREE = {"script.py"}
OTHER_PROJECTS = ("numpy/", "faer/")
WRITTEN_WHEN_RUN = {"bench/results/dask.json"}  # bench/bench_dask.py's RESULTS


def path_exists(page: Path, name: str) -> bool:
    if name in NOT_THE_TREE or name in WRITTEN_WHEN_RUN or name.startswith(OTHER_PROJECTS):
        return True
    if "/" not in name:
        # A file name alone: only sources are checked (`a.txt` is any file of a user's).
        return Path(name).suffix not in SOURCE_SUFFIXES | {".sh"} or name in TREE_NAMES
    if (ROOT / name).exists() or (page.parent / name).exists():
        return True
    tail = "/" + name.lstrip("./")
    return any(p.endswith(tail) for p in TREE_PATHS)


def test_pages_name_only_existing_files():
    problems = []
    for page in all_pages():
        if page.name == "CHANGELOG.md":
            continue  # history: it names what was, and says so
        text = page.read_text(encoding="utf-8")
        for m in PATH.finditer(text):
            name = m.group(1)
            if not path_exists(page, name):
                line = line_of(text, m.start())
                problems.append(f"{rel(page)}:{line}: names {name}, not in the tree")
    assert not problems, "\n".join(problems)


# --- d. benchmark numbers -----------------------------------------------------------------

UNIT_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
TIME = re.compile(r"^(\d+(?:\.\d+)?) ?(s|ms|us|µs|ns)$")
CASE = re.compile(r"^(?:(?P<count>\d+(?:\.\d+)?e\d+) x |one )(?P<n>\d+)x(?P=n)\b(?P<rest>.*)$")
DTYPES = {
    "f32": "float32",
    "float32": "float32",
    "f64": "float64",
    "float64": "float64",
    "c64": "complex64",
    "complex64": "complex64",
    "c128": "complex128",
    "complex128": "complex128",
}
# Numbers a benchmark line is made of, anywhere in README.md: a time, a speed-up, a rate.
PERF_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?: ?(?:s|ms|us|µs|ns)\b|x(?![\w])| ?GFLOP/s)")


# Columns of the machine's limit per case (seconds, or a ratio; None where the run has none).
LIMIT_COLUMNS = {
    "memory floor": lambda r: r["summary"].get("memory_floor_s"),
    "compute floor": lambda r: r["summary"].get("compute_floor_s"),
    "x limit": lambda r: r["summary"].get("x_limit"),
    "x limit goal": lambda r: r["case"].get("limit_goal"),
    "numpy x limit": lambda r: r["summary"].get("numpy", {}).get("x_limit"),
}


def half_unit(shown: str) -> float:
    """Half a unit of the last digit shown: what rounding may have removed."""
    decimals = len(shown.partition(".")[2])
    return 0.5 * 10.0**-decimals


def matches(shown: str, actual: float) -> bool:
    return abs(float(shown) - actual) <= half_unit(shown) * (1 + 1e-9)


def find_case(label: str, results: list[dict]) -> dict | None:
    m = CASE.match(label.strip())
    if not m:
        return None
    dtype = "float64"
    for word in re.findall(r"\w+", m.group("rest")):
        dtype = DTYPES.get(word, dtype)
    count = m.group("count")
    want = (
        count is not None,
        int(float(count)) if count else 1,
        int(m.group("n")),
        dtype,
    )
    for r in results:
        c = r["case"]
        if (c["stacked"], c["count"], c["n"], c["dtype"]) == want:
            return r
    return None


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def benchmark_tables(text: str) -> list[tuple[int, list[str], list[tuple[int, list[str]]]]]:
    """(line, header, [(line, cells)]) of every table whose header has case, numpy and
    matinv columns."""
    lines = text.splitlines()
    tables = []
    k = 0
    while k < len(lines):
        if (
            lines[k].startswith("|")
            and k + 1 < len(lines)
            and re.match(r"^\|[-| :]+\|$", lines[k + 1])
        ):
            header = [c.lower() for c in cells(lines[k])]
            rows, j = [], k + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append((j + 1, cells(lines[j])))
                j += 1
            if header[:1] == ["case"] and "numpy" in header and "matinv" in header:
                tables.append((k + 1, header, rows))
            k = j
        else:
            k += 1
    return tables


def paragraph_before(text: str, line: int) -> tuple[int, str]:
    """(first line, text) of the paragraph that ends right before `line` (1-based)."""
    lines = text.splitlines()[: line - 1]
    while lines and not lines[-1].strip():
        lines.pop()
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    return start + 1, "\n".join(lines[start:])


def meta_problems(where: str, first: int, para: str, meta: dict) -> list[str]:
    """The run's setting as the paragraph (from line `first` of `where`) states it, against
    the results file's `meta`: numpy and OpenBLAS versions, cores, threads, CPU vendor."""
    pools = meta.get("blas", {}).get("pools", [])
    blas = [p.get("version", "") for p in pools]
    threads = {meta.get("matinv", {}).get("num_threads")} | {p.get("num_threads") for p in pools}
    claims = [
        (
            r"\bnumpy (\d+\.\d+(?:\.\d+)?)",
            lambda v: v == meta.get("numpy_version"),
            f"the run's numpy is {meta.get('numpy_version')}",
        ),
        (
            r"\bOpenBLAS (\d+\.\d+(?:\.\d+)?)",
            lambda v: any(b == v or b.startswith(v + ".") for b in blas),
            f"the run's OpenBLAS is {blas}",
        ),
        (
            r"\b(\d+)-core\b",
            lambda v: int(v) == meta.get("nproc"),
            f"the run had {meta.get('nproc')} CPUs",
        ),
        (
            r"\b(\d+) threads\b",
            lambda v: int(v) in threads,
            f"the run's thread counts were {sorted(map(str, threads))}",
        ),
        (
            r"\b(Intel|AMD)\b",
            lambda v: v in meta.get("cpu_model", ""),
            f"the run's CPU is {meta.get('cpu_model')!r}",
        ),
    ]
    problems = []
    for pattern, holds, truth in claims:
        for m in re.finditer(pattern, para):
            if not holds(m.group(1)):
                line = first + para.count("\n", 0, m.start())
                problems.append(f"{where}:{line}: {m.group(0)!r}, but {truth}")
    return problems


def benchmark_problems(page: Path, *, only_tables: bool) -> list[str]:
    text = page.read_text(encoding="utf-8")
    name = rel(page)
    problems: list[str] = []
    checked_lines: set[int] = set()
    for start, header, rows in benchmark_tables(text):
        first, para = paragraph_before(text, start)
        files = re.findall(r"bench/results/[\w.-]+\.json", para)
        if len(set(files)) != 1:
            problems.append(f"{name}:{start}: the table's paragraph names no one results file")
            continue
        data = json.loads((ROOT / files[0]).read_text())
        results, meta = data["results"], data.get("meta", {})
        problems += meta_problems(name, first, para, meta)
        checked_lines.add(start)
        for line, row in rows:
            checked_lines.add(line)
            where = f"{name}:{line}"
            case = find_case(row[0], results)
            if case is None:
                problems.append(f"{where}: no case of {files[0]} is {row[0]!r}")
                continue
            summary = case["summary"]
            for col, shown in zip(header[1:], row[1:]):
                if col in LIMIT_COLUMNS:
                    # The machine's limit (bench_inv.py's `against_limits`); "-": none.
                    actual = LIMIT_COLUMNS[col](case)
                    if shown == "-" and actual is None:
                        continue
                    if actual is None or shown == "-":
                        has = "none" if actual is None else f"{actual:.4g}"
                        problems.append(f"{where}: {col} {shown}, {files[0]} has {has}")
                        continue
                    m = TIME.match(shown)
                    if m:
                        actual /= UNIT_S[m.group(2)]
                    if not matches(m.group(1) if m else shown, actual):
                        problems.append(
                            f"{where}: {col} {shown}, {files[0]} has {actual:.4g} "
                            f"({case['case']['name']})"
                        )
                elif col in ("numpy", "matinv"):
                    m = TIME.match(shown)
                    if not m:
                        problems.append(f"{where}: {col} {shown!r} is not a time")
                        continue
                    actual = summary[col]["median_s"] / UNIT_S[m.group(2)]
                    if not matches(m.group(1), actual):
                        problems.append(
                            f"{where}: {col} {shown}, {files[0]} has "
                            f"{actual:.4g} {m.group(2)} ({case['case']['name']})"
                        )
                elif "ratio" in col or col == "numpy / matinv":
                    if not matches(shown, summary["ratio_median"]):
                        problems.append(
                            f"{where}: ratio {shown}, {files[0]} has "
                            f"{summary['ratio_median']:.4g} ({case['case']['name']})"
                        )
                else:
                    problems.append(f"{where}: column {col!r} is not in the results file")
        # "all N cases", wherever the page says it.
        for m in re.finditer(r"\b[Aa]ll (\d+) cases\b", text):
            if int(m.group(1)) != len(results):
                line = line_of(text, m.start())
                problems.append(
                    f"{name}:{line}: all {m.group(1)} cases; {files[0]} has {len(results)}"
                )
    if not only_tables:
        for k, line in enumerate(text.splitlines(), 1):
            if k in checked_lines:
                continue
            for m in PERF_NUMBER.finditer(without_code_spans(line)):
                problems.append(
                    f"{name}:{k}: {m.group(0)!r} is not in a table read from bench/results/"
                )
    return problems


def test_benchmark_numbers_are_the_results_files():
    problems = benchmark_problems(ROOT / "README.md", only_tables=False)
    problems += benchmark_problems(DOCS / "performance.md", only_tables=True)
    assert benchmark_tables((ROOT / "README.md").read_text(encoding="utf-8")), (
        "README.md: no benchmark table found (case | numpy | matinv | ...)"
    )
    assert not problems, "\n".join(problems)


def test_find_case_reads_labels():
    results = [
        {"case": {"stacked": True, "count": 10**6, "n": 4, "dtype": "float32"}},
        {"case": {"stacked": False, "count": 1, "n": 1024, "dtype": "complex128"}},
    ]
    assert find_case("1e6 x 4x4 float32", results) is results[0]
    assert find_case("1e6 x 4x4 f32", results) is results[0]
    assert find_case("1e6 x 4x4", results) is None
    assert find_case("one 1024x1024 complex128", results) is results[1]
    assert matches("2.4", 2.358) and not matches("0.7", 2.358) and matches("63", 62.98)


# --- e. commit hashes -----------------------------------------------------------------------

COMMIT = re.compile(r"(?<![\w/.#-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}(?![\w-])")


def test_pages_carry_no_commit_hash():
    problems = []
    for page in [ROOT / "README.md", *site_pages()]:
        text = without_fences(page.read_text(encoding="utf-8"))
        problems += [
            f"{rel(page)}:{line_of(text, m.start())}: commit hash {m.group(0)}: say what it"
            " was instead"
            for m in COMMIT.finditer(text)
        ]
    assert not problems, "\n".join(problems)


def bench_module(name, monkeypatch):
    """bench/NAME.py imported as a module (bench/ on the path for its own imports)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ZEN4_PRECISION = "### The same benchmark on an AMD EPYC Zen 4"


def test_precision_page_tables_come_from_its_results(monkeypatch):
    # docs/precision.md's tables are `bench/bench_precision.py --markdown` of their
    # results files, row for row: a number on the page is one the run gave (the Zen 4
    # section's of bench/results/precision-epyc-zen4.json, the rest of precision.json).
    module = bench_module("bench_precision", monkeypatch)
    page = (DOCS / "precision.md").read_text(encoding="utf-8")
    before, zen4 = page.split(ZEN4_PRECISION + "\n", 1)
    zen4, after = zen4.split("\n#", 1)
    sections = [(before + after, "precision.json", 10), (zen4, "precision-epyc-zen4.json", 8)]
    for text, name, least in sections:
        results = json.loads((ROOT / "bench" / "results" / name).read_text())
        rows = set(module.markdown(results).splitlines())
        shown = [line for line in text.splitlines() if line.startswith("|")]
        assert len(shown) >= least, f"docs/precision.md shows the tables of {name}"
        missing = [line for line in shown if line not in rows]
        assert not missing, f"rows not from bench/results/{name}:\n" + "\n".join(missing)


def test_precision_page_extended_accuracy_is_the_same_on_zen4():
    # The Zen 4 section says its run's extended inverses have the accuracy table's
    # digits and shares within one ulp, row for row.
    results = ROOT / "bench" / "results"
    intel = json.loads((results / "precision.json").read_text())["accuracy"]
    zen4 = json.loads((results / "precision-epyc-zen4.json").read_text())["accuracy"]
    assert (
        "AMD EPYC" in json.loads((results / "precision-epyc-zen4.json").read_text())["meta"]["cpu"]
    )
    assert [(r["matrix"], r["cond1"], r["extended"]) for r in intel] == [
        (r["matrix"], r["cond1"], r["extended"]) for r in zen4
    ]


def test_precision_page_newton_block_is_its_results_file():
    # docs/precision.md quotes bench/bench_newton.py's run as a text block: every line of
    # it is a line of bench/results/newton-step.txt.
    page = (DOCS / "precision.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```text\n(.*?)^```", page, flags=re.S | re.M)
    assert blocks, "docs/precision.md quotes the Newton-step measurement"
    results = set((ROOT / "bench" / "results" / "newton-step.txt").read_text().splitlines())
    missing = [line for b in blocks for line in b.splitlines() if line and line not in results]
    assert not missing, "lines not from bench/results/newton-step.txt:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("heading", "cpu", "label"),
    [
        # Intel: the runs with the native panel (before the triangular products).
        ("## A matrix larger than the cluster's memory", "Intel", None),
        ("## One matrix on a cluster on an AMD EPYC Zen 4", "AMD EPYC", "zen4 triangular products"),
    ],
)
def test_dask_cluster_table_is_its_results_file(heading, cpu, label):
    # docs/dask.md's tables of one 12,000 matrix on a cluster: every row is a record of
    # bench/bench_dask_cluster.py in bench/results/dask-cluster.json (of its CPU and
    # code), the median run where there are several.
    text = (DOCS / "dask.md").read_text()
    section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    records = json.loads((ROOT / "bench" / "results" / "dask-cluster.json").read_text())
    if label is None:
        records = [r for r in records if r.get("panel") == "matinv.lu_in_place"]
    else:
        records = [r for r in records if r["label"] == label]
    records = [r for r in records if cpu in r["cpu"]]
    assert len(lines) > 2
    for line in lines[2:]:
        workers, time_s, gflops, fraction = cells(line)[:4]
        m = re.fullmatch(r"(\d+) x (\d+) threads?, (\d+) (MB|GB)", workers)
        assert m, workers
        want = (int(m.group(1)), int(m.group(2)), m.group(3) + m.group(4))
        found = sorted(
            (
                r
                for r in records
                if (r["workers"], r.get("nthreads", 1), r["memory_limit"]) == want
                and r["n"] == 12_000
            ),
            key=lambda r: r["seconds"],
        )
        assert len(found) % 2 == 1, (workers, len(found))  # one run, or a median
        r = found[len(found) // 2]
        assert matches(time_s.removesuffix(" s"), r["seconds"]), (workers, time_s)
        assert matches(gflops, r["gflops"]), (workers, gflops)
        assert matches(fraction.removesuffix("%"), 100 * r["fraction_of_dgemm"]), workers


@pytest.mark.parametrize(
    ("heading", "results_file"),
    [
        ("## One matrix against its peers", "single-peers.json"),
        ("## One matrix against its peers on an AMD EPYC Zen 4", "single-peers-epyc-zen4.json"),
    ],
)
def test_single_matrix_peer_tables_come_from_their_results(monkeypatch, heading, results_file):
    # docs/performance.md's tables of one matrix against its peers (one section per CPU
    # kind) are `bench/bench_single.py --markdown` of their results files, row for row.
    module = bench_module("bench_single", monkeypatch)
    results = json.loads((ROOT / "bench" / "results" / results_file).read_text())
    rows = set(module.markdown(results).splitlines())
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    shown = [line for line in section.splitlines() if line.startswith("|")]
    assert len(shown) >= 2 * (2 + 8), "the section shows both tables, every size"
    missing = [line for line in shown if line not in rows]
    assert not missing, f"rows not from bench/results/{results_file}:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    ("heading", "results_file"),
    [
        ("## The latest benchmark", "latest.json"),
        ("## The same benchmark on an AMD EPYC Zen 4", "epyc-zen4.json"),
    ],
)
def test_latest_benchmark_table_comes_from_its_results(monkeypatch, heading, results_file):
    # docs/performance.md's tables of the last full runs (one per CPU kind) are
    # `bench/bench_inv.py --markdown` of their results files, whole: every case, row for row.
    module = bench_module("bench_inv", monkeypatch)
    results = json.loads((ROOT / "bench" / "results" / results_file).read_text())["results"]
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    shown = [line for line in section.splitlines() if line.startswith("|")]
    assert shown == module.markdown(results).splitlines()
