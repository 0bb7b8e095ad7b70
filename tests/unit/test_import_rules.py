"""The layout's import rules, read from the source (every import, including those inside functions).

- the core never imports click or rich: those are the command line's;
- boto3 and botocore belong to ``org/aws.py`` (and botocore's models to ``sim/contract.py``, which
  holds the simulator to them); moto, werkzeug and flask to ``sim/``;
  pykeepass to ``stores/vault.py``, pyrage to ``stores/seeds/store.py``, pyotp to ``rules/totp.py``;
  each is imported inside a function, so that a command that does not need it never loads it;
- nothing in the product imports ``rootkeeper.sim`` except ``sim/`` itself and the ``demo`` and ``sim``
  commands; nothing outside ``cli/`` imports ``rootkeeper.cli``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "rootkeeper"

# module (or package) -> where it may be imported (paths relative to src/rootkeeper; a trailing / is a package)
OWNERS = {
    "click": ["cli/"],
    "rich": ["cli/"],
    "boto3": ["org/aws.py"],
    "botocore": ["org/aws.py", "sim/contract.py"],  # the simulator is checked against botocore's models
    "moto": ["sim/"],
    "werkzeug": ["sim/"],
    "flask": ["sim/"],
    "pykeepass": ["stores/vault.py"],
    # pykeepass's ciphers (the vault); RSA for CloudTrail's digest signatures: verified, and made by the simulator
    "Cryptodome": ["stores/vault.py", "org/trail.py", "sim/trail.py"],
    "argon2": ["stores/vault.py"],
    "lxml": ["stores/vault.py"],
    "pyrage": ["stores/seeds/store.py"],
    "pyotp": ["rules/totp.py"],
    "segno": ["paper/pdf.py"],
    "reportlab": ["paper/pdf.py"],
    "pypdfium2": ["paper/scan.py"],
    "PIL": ["paper/scan.py"],
    "zxingcpp": ["paper/scan.py"],
    "graphviz": ["custody/diagram.py"],
    "shamir_mnemonic": ["custody/shares.py"],
    "py_ocsf_models": ["findings/ocsf.py"],
    "pydantic": ["findings/ocsf.py"],
    "rootkeeper.sim": ["sim/", "cli/demo.py", "cli/sim.py"],
    "rootkeeper.cli": ["cli/", "__main__.py"],
}
LAZY = {"rich", "boto3", "botocore", "moto", "werkzeug", "flask", "pykeepass", "Cryptodome", "argon2", "lxml",
        "pyrage", "pyotp", "segno", "reportlab",
        "pypdfium2", "PIL", "zxingcpp", "graphviz", "shamir_mnemonic", "py_ocsf_models", "pydantic"}


def modules() -> dict[str, Path]:
    return {p.relative_to(SRC).as_posix(): p for p in sorted(SRC.rglob("*.py"))}


def imports(rel: str, path: Path) -> list[tuple[str, bool]]:
    """(absolute module name, imported at module level?) of every import in the file."""
    package = ["rootkeeper", *rel.split("/")[:-1]]
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if not node.module:  # from . import x, y: each is a module of that package
                    found += [(f"{name}.{alias.name}", id(node) in top) for alias in node.names]
                    continue
            else:
                name = node.module or ""
            found.append((name, id(node) in top))
    return found


def owner_allows(owner: str, rel: str) -> bool:
    return rel.startswith(owner) if owner.endswith("/") else rel == owner


def test_every_import_respects_its_owner():
    breaches = []
    for rel, path in modules().items():
        for name, at_top in imports(rel, path):
            for module, owners in OWNERS.items():
                if name != module and not name.startswith(module + "."):
                    continue
                if not any(owner_allows(o, rel) for o in owners):
                    breaches.append(f"{rel} imports {name} (only {', '.join(owners)} may)")
                elif module in LAZY and at_top:
                    breaches.append(f"{rel} imports {name} at module level (import it where it is used)")
    assert breaches == []


# The layers, from the bottom: each may import only from its own unit and the layers below it (every import,
# those inside functions and under TYPE_CHECKING included). A unit is a top-level module or package.
LAYERS = [
    {"errors", "__init__"},  # the error kinds; the version
    {"rules"},  # the pure rules and formats: no file, no process, no network
    {"findings"},  # a check's results as OCSF, ASFF and an HTML page: pure, over the commands' reports
    {"storage", "hygiene"},  # atomic files, locks, the journal, the transaction, configuration and settings
    {"stores"},  # the vault, the seed store
    {"workspace"},  # one command's session over the stores
    {"workflows"},  # one module per command family, named like the command
    {"org", "paper"},
    {"custody"},  # puts sheets on media: above paper
    {"sim"},
    {"cli"},
    {"__main__"},  # python -m rootkeeper
]


def unit_of(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 or parts[1] == "__version__" else parts[1]


def test_every_import_points_down_the_layers():
    layer = {unit: number for number, units in enumerate(LAYERS) for unit in units}
    units = {rel.split("/")[0].removesuffix(".py") for rel in modules()}
    assert units == set(layer), f"every unit has a layer: {sorted(units ^ set(layer))}"
    upward = []
    for rel, path in modules().items():
        here = rel.split("/")[0].removesuffix(".py")
        for name, _top in imports(rel, path):
            if name.startswith("rootkeeper.") or name == "rootkeeper":
                there = unit_of(name)
                if there != here and layer[there] >= layer[here]:
                    upward.append(f"{rel} imports {name} ({there} is not below {here})")
    assert upward == []


def test_the_rules_see_what_they_guard():
    """The scanner itself: it finds the imports the rules are about (a rule that can see nothing cannot fail)."""
    found = {rel: {n for n, _top in imports(rel, p)} for rel, p in modules().items()}
    assert "click" in found["cli/common.py"] and "boto3" in found["org/aws.py"]
    assert "rootkeeper.sim.demo" in found["cli/demo.py"] and "rootkeeper.org.aws" in found["org/audit.py"]
    assert "rootkeeper.errors" in found["stores/vault.py"] and "pykeepass" in found["stores/vault.py"]


def test_importing_the_whole_core_loads_no_heavy_dependency():
    core = sorted("rootkeeper." + rel[:-3].replace("/", ".").removesuffix(".__init__")
                  for rel in modules() if not rel.startswith(("cli/", "sim/")) and rel != "__main__.py")
    code = (f"import sys\nfor m in {core!r}:\n    __import__(m)\n"
            f"print(sorted(m for m in {('click', *HEAVY)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert len(core) > 20


HEAVY = ("rich", "boto3", "botocore", "moto", "werkzeug", "pykeepass", "pyrage", "pyotp", "segno", "reportlab",
         "pypdfium2", "PIL", "zxingcpp", "graphviz", "shamir_mnemonic", "py_ocsf_models", "pydantic")


def test_help_loads_no_heavy_dependency():
    """--help of the root and of every paper command loads none of the heavy packages (reportlab included)."""
    helps = [["--help"], ["paper", "--help"], ["paper", "seeds", "--help"], ["paper", "emergency-sheet", "--help"],
             ["paper", "restore", "--help"]]
    code = (f"import sys\nfrom rootkeeper.cli import main\nfor args in {helps!r}:\n    try:\n        main(args)\n"
            f"    except SystemExit:\n        pass\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Print the seed sheet" in out.stdout  # the helps were printed
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_readme_architecture_names_every_module():
    """The README's architecture section is the map: every module and package of src/rootkeeper is on it."""
    readme = (SRC.parents[1] / "README.md").read_text()
    section = readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    missing = []
    for rel in modules():
        name = rel.rsplit("/", 1)[-1]
        if name in ("__init__.py", "__main__.py"):
            continue
        if name not in section:
            missing.append(rel)
    for package in sorted({rel.split("/")[0] for rel in modules() if "/" in rel}):
        if f"{package}/" not in section:
            missing.append(package + "/")
    assert missing == []
