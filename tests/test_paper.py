"""Paper: the seed sheet, the emergency sheet and restore, proven with programs the project does not use.

Oracles: pdftoppm renders the PDF (poppler, not pdfium), zbarimg reads the QR codes (zbar, not
zxing), pdftotext reads what a person would read and type, the age CLI decrypts the stores,
keepassxc-cli reads the vault. The typed lines of every restore-by-hand test come from pdftotext
of the sheet itself: a restore by hand needs nothing but the sheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest
from conftest import VAULT_PASSWORD, assert_clean_failure, base_env, key_medium, oracle, random_seed, snapshot

TYPED = re.compile(r"^\s*([0-9]{12}) (name|email|device|totp|seed[0-9]+/[0-9]+)\s+(.*?)\s+([A-Z2-7]{3})\s*$")
SHEET_LINE = re.compile(r"sheet ([0-9]+) ((?:[A-Z2-7]{4} ){3}[A-Z2-7]{4})")


# ---------------------------------------------------------------- helpers
def populate(home, count: int, start: int = 0) -> None:
    """``count`` accounts in the seed store (every other one with a recorded device)."""
    lines = ["Account #,Account Name,Account Email,MFA Seed,Device ARN"]
    for i in range(start, start + count):
        account = f"{300000000000 + i * 7919:012d}"
        device = f"arn:aws:iam::{account}:mfa/rootkeeper-2026-11-28" if i % 2 else ""
        lines.append(f"{account},team-{i:03d},security+team-{i:03d}@example.com,{random_seed()},{device}")
    path = home.root / f"import-{start}.csv"
    path.write_text("\n".join(lines) + "\n")
    home.rk("seeds", "import", path, check=True)
    path.unlink()


def records(csv_text: str) -> dict[str, tuple[str, str, str, str]]:
    """Active rows of a seed store's plaintext (from age -d): id -> (name, email, seed, device ARN)."""
    reader = csv.DictReader(io.StringIO(csv_text))
    return {r["Account #"]: (r["Account Name"], r["Account Email"], r["MFA Seed"], r["Device ARN"])
            for r in reader if r["State"] == "active"}


def age_decrypt(home, path: Path) -> str:
    out = subprocess.run([oracle("age"), "-d", "-i", home.identity, path], capture_output=True, check=True)
    return out.stdout.decode()


def print_sheet(home, name: str = "sheet.pdf", *extra) -> Path:
    out = home.root / name
    home.rk("paper", "seeds", "-o", out, *extra, check=True)
    return out


def render(pdf: Path, dpi: int = 300) -> list[Path]:
    """PNG pages, rendered by poppler (pdftoppm), not by the project's renderer. zbar reads every code at
    300 dpi; at 150 it misses about 1 in 200 (zxing-cpp, which restore uses, none): the restore tests
    render at 150 dpi, the zbar ones at 300."""
    prefix = pdf.with_suffix("")
    subprocess.run([oracle("pdftoppm"), "-r", str(dpi), "-png", pdf, prefix], check=True)
    return sorted(pdf.parent.glob(prefix.name + "-*.png"))


def zbar(image: Path) -> list[str]:
    result = subprocess.run([oracle("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", image],
                            capture_output=True, env=base_env())
    assert result.returncode in (0, 4), result.stderr  # 4: no code found
    return [line for line in result.stdout.decode().splitlines() if line]


def text_of(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    out = subprocess.run([oracle("pdftotext"), "-layout", *pages, pdf, "-"], capture_output=True, check=True)
    return out.stdout.decode()


def typed_lines(pdf: Path, first: int | None = None, last: int | None = None) -> list[str]:
    """The lines a person would type, read from the printed sheet by pdftotext."""
    out = []
    for line in text_of(pdf, first, last).splitlines():
        match = TYPED.match(line)
        if match:
            out.append(" ".join([match.group(1), match.group(2), match.group(3), match.group(4)]))
    return out


def sheet_line(pdf: Path) -> str:
    match = SHEET_LINE.search(text_of(pdf))
    assert match, "the sheet line is printed"
    return match.group(0)


def degrade(page: Path, out: Path, angle: float, blur: float, quality: int | None = None) -> Path:
    from PIL import Image, ImageFilter

    with Image.open(page) as image:
        image = image.convert("L").rotate(angle, expand=True, fillcolor=255).filter(ImageFilter.GaussianBlur(blur))
        if quality:
            image.save(out, "JPEG", quality=quality)
        else:
            image.save(out)
    return out


# ---------------------------------------------------------------- the seed sheet, read by zbar
def test_pdftoppm_and_zbarimg_read_exactly_the_stores_seeds(home):
    populate(home, 7)
    sheet = print_sheet(home)
    store = records(home.age_decrypt())
    uris, markers = [], []
    for page in render(sheet):
        for text in zbar(page):
            (uris if text.startswith("otpauth://") else markers).append(text)
    read = {}
    for uri in uris:
        parts = urllib.parse.urlsplit(uri)
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["issuer"] == "Amazon Web Services"
        name, account = re.fullmatch(r"/Amazon Web Services:(.+) \(([0-9]{12})\)", urllib.parse.unquote(parts.path)).groups()
        read[account] = (name, query["email"], query["secret"])
    assert read == {account: row[:3] for account, row in store.items()}
    assert len(uris) == 7
    assert sorted(m.split()[2] for m in markers) == ["PAGE:1/2", "PAGE:2/2"]


def test_every_printed_line_carries_the_store_and_a_check(home):
    populate(home, 3)
    sheet = print_sheet(home)
    store = records(home.age_decrypt())
    lines = typed_lines(sheet)
    for account, (name, email, seed, device) in store.items():
        mine = [ln.split(" ", 2)[1:] for ln in lines if ln.startswith(account)]
        fields = {tag: rest.rsplit(" ", 1)[0] for tag, rest in mine}
        assert fields["name"] == name and fields["email"] == email
        assert "".join(fields[t].replace(" ", "") for t in sorted(fields) if t.startswith("seed")) == seed
        assert all(len(group) == 4 for t in fields if t.startswith("seed") for group in fields[t].split()[:-1])
        assert ("device" in fields) == bool(device)
    text = text_of(sheet)
    assert "no 0, 1, 8 or 9" in text and "page 1 of 1" in text and "SECRET" in text


# ---------------------------------------------------------------- restore
def test_restore_from_degraded_scans_recovers_every_record(home):
    populate(home, 9)
    sheet = print_sheet(home)
    pages = render(sheet, dpi=150)
    assert len(pages) == 2
    scans = [degrade(pages[0], home.root / "scan-1.png", angle=4, blur=1.2),
             degrade(pages[1], home.root / "scan-2.jpg", angle=-3, blur=1.0, quality=70)]
    target = home.root / "restored" / "mfa.csv.age"
    target.parent.mkdir()
    result = home.rk("paper", "restore", *scans, "--into", target)
    assert result.returncode == 0, result.err
    assert "checksum verified" in result.err
    assert records(age_decrypt(home, target)) == records(home.age_decrypt())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_one_character_typo_in_a_typed_line_is_caught_and_located(home):
    populate(home, 2)
    sheet = print_sheet(home)
    lines = typed_lines(sheet) + [sheet_line(sheet)]
    number = next(i for i, ln in enumerate(lines) if " seed2/" in ln)
    account, tag, *groups, check = lines[number].split()
    wrong = groups[1][:2] + ("A" if groups[1][2] != "A" else "B") + groups[1][3:]
    lines[number] = " ".join([account, tag, groups[0], wrong, *groups[2:], check])
    typed = home.root / "typed.txt"
    typed.write_text("# typed from the sheet\n" + "\n".join(lines) + "\n")
    target = home.root / "restored.age"
    before = snapshot(home.root)
    result = home.rk("paper", "restore", "--typed", typed, "--into", target)
    assert_clean_failure(result, 2, f"line {number + 2}")
    assert "check" in result.err and "mistyped" in result.err
    assert wrong not in result.err and groups[0] not in result.err  # a seed is never echoed
    assert snapshot(home.root) == before and not target.exists()
    lines[number] = " ".join([account, tag, *groups, check])  # corrected: the sheet alone restores the store
    typed.write_text("\n".join(lines) + "\n")
    home.rk("paper", "restore", "--typed", typed, "--into", target, check=True)
    assert records(age_decrypt(home, target)) == records(home.age_decrypt())


def test_a_missing_page_is_reported_and_its_typed_lines_complete_the_restore(home):
    populate(home, 12)
    sheet = print_sheet(home)
    pages = render(sheet, dpi=150)
    assert len(pages) == 3
    target = home.root / "restored.age"
    before = snapshot(home.root)
    result = home.rk("paper", "restore", pages[0], pages[2], "--into", target)
    assert_clean_failure(result, 2, "incomplete")
    assert "page 2 of 3" in result.err and "--typed" in result.err
    assert snapshot(home.root) == before
    typed = home.root / "page2.txt"
    typed.write_text("\n".join(typed_lines(sheet, 2, 2)) + "\n")
    result = home.rk("paper", "restore", pages[0], pages[2], "--typed", typed, "--into", target)
    assert result.returncode == 0, result.err
    assert "(5 from typed lines)" in result.err
    assert records(age_decrypt(home, target)) == records(home.age_decrypt())


def test_allow_incomplete_restores_what_was_read_and_names_the_rest(home):
    populate(home, 12)
    pages = render(print_sheet(home), dpi=150)
    target = home.root / "partial.age"
    result = home.rk("paper", "restore", pages[0], pages[2], "--into", target, "--allow-incomplete")
    assert result.returncode == 0, result.err
    assert "page 2 of 3" in result.err and "NOT verified" in result.err
    restored = records(age_decrypt(home, target))
    original = records(home.age_decrypt())
    assert len(restored) == 7 and all(original[a] == restored[a] for a in restored)


def test_an_unreadable_code_is_named_and_typed_lines_fill_it_in(home):
    import zxingcpp
    from PIL import Image, ImageDraw

    populate(home, 3)
    sheet = print_sheet(home)
    page = render(sheet, dpi=150)[0]
    with Image.open(page) as image:
        image = image.convert("L")
        codes = [c for c in zxingcpp.read_barcodes(image) if c.text.startswith("otpauth://")]
        victim = codes[0]
        account = re.search(r"%28([0-9]{12})%29", victim.text).group(1)
        p = victim.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        ImageDraw.Draw(image).rectangle([min(xs) + 5, min(ys) + 5, max(xs) - 5, max(ys) - 5], fill=255)
        damaged = home.root / "damaged.png"
        image.save(damaged)
    target = home.root / "restored.age"
    result = home.rk("paper", "restore", damaged, "--into", target)
    assert_clean_failure(result, 2, "incomplete")
    assert f"account {account} could not be read" in result.err
    typed = home.root / "one.txt"
    typed.write_text("\n".join(ln for ln in typed_lines(sheet) if ln.startswith(account)) + "\n")
    home.rk("paper", "restore", damaged, "--typed", typed, "--into", target, check=True)
    assert records(age_decrypt(home, target)) == records(home.age_decrypt())


def test_restore_merges_all_or_nothing_into_an_existing_store(home):
    populate(home, 3)
    sheet = print_sheet(home)
    pages = render(sheet, dpi=150)
    result = home.rk("paper", "restore", *pages)  # into the configured store: everything is already there
    assert result.returncode == 0, result.err
    assert "0 added" in result.err
    # one account's seed changes after the printing: the sheet's is different, refused without --replace
    account = next(iter(records(home.age_decrypt())))
    changed = home.root / "changed.csv"
    changed.write_text(f"Account #,Account Name,Account Email,MFA Seed\n{account},team-000,"
                       f"security+team-000@example.com,{random_seed()}\n")
    home.rk("seeds", "import", changed, "--replace", check=True)
    before = snapshot(home.root)
    result = home.rk("paper", "restore", *pages)
    assert_clean_failure(result, 2, "--replace")
    assert snapshot(home.root) == before
    home.rk("paper", "restore", *pages, "--replace", check=True)
    assert records(home.age_decrypt())[account][2] in typed_lines_seed(sheet, account)


def typed_lines_seed(sheet: Path, account: str) -> str:
    return "".join("".join(ln.split()[2:-1]) for ln in typed_lines(sheet) if ln.startswith(account) and " seed" in ln)


def test_scans_of_two_printings_are_not_mixed(home):
    populate(home, 5)
    first = render(print_sheet(home, "first.pdf"), dpi=150)
    populate(home, 1, start=50)
    second = render(print_sheet(home, "second.pdf"), dpi=150)
    result = home.rk("paper", "restore", first[0], second[1], "--into", home.root / "x.age")
    assert_clean_failure(result, 2, "another sheet")


def test_a_file_that_is_not_a_scan_is_one_clear_error(home):
    bad = home.root / "notes.txt"
    bad.write_text("not an image\n")
    assert_clean_failure(home.rk("paper", "restore", bad), 2, "neither a PDF nor an image")
    assert_clean_failure(home.rk("paper", "restore"), 2, "nothing to restore")


# ---------------------------------------------------------------- output, journal, segregation
def test_a_sheet_goes_to_stdout_or_to_a_new_0600_file_never_over_one(home):
    populate(home, 2)
    before = snapshot(home.root)
    result = home.rk("paper", "seeds", "-o", "-")
    assert result.returncode == 0 and result.stdout.startswith(b"%PDF")
    changed = {k for k, v in snapshot(home.root).items() if before.get(k) != v}
    assert changed <= {"rootkeeper-journal.jsonl", "rootkeeper-journal.jsonl.head"}  # no PDF on disk
    existing = home.root / "exists.pdf"
    existing.write_bytes(b"keep me")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("paper", "seeds", "-o", existing), 2, "never overwrites")
    assert_clean_failure(home.rk("paper", "emergency-sheet", "-o", existing), 2, "never overwrites")
    assert snapshot(home.root) == before  # nothing journaled either
    made = print_sheet(home, "new.pdf")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def test_every_printing_is_journaled_without_a_secret(home):
    populate(home, 3)
    sheet = print_sheet(home)
    home.rk("paper", "emergency-sheet", "-o", home.root / "emergency.pdf", check=True)
    assert home.rk("journal", "verify").returncode == 0
    events = [json.loads(line) for line in home.journal.read_text().splitlines()]
    printed = [e for e in events if e["event"] == "paper.seeds"]
    assert len(printed) == 1
    count, total = sheet_line(sheet).split(" ", 2)[1:]
    assert printed[0]["count"] == int(count) == 3 and printed[0]["checksum"] == total.replace(" ", "")
    assert printed[0]["store_sha256"] == hashlib.sha256(home.seeds.read_bytes()).hexdigest()
    assert [e["event"] for e in events].count("paper.emergency-sheet") == 1
    journal = home.journal.read_text()
    for _name, _email, seed, _device in records(home.age_decrypt()).values():
        assert seed not in journal and seed[:16] not in journal


def test_the_seed_sheet_holds_no_password_and_the_emergency_sheet_no_seed(home):
    home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
    populate(home, 2)
    password = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/prod").strip()
    assert len(password) >= 20
    sheet = print_sheet(home)
    seed_text = text_of(sheet) + "\n".join(t for p in render(sheet) for t in zbar(p))
    assert password not in seed_text and VAULT_NAME not in seed_text
    emergency = home.root / "emergency.pdf"
    home.rk("paper", "emergency-sheet", "-o", emergency, "--location", "USB drive 1, office safe", check=True)
    emergency_text = text_of(emergency)
    assert all(zbar(p) == [] for p in render(emergency))  # no QR code at all
    for _name, _email, seed, _device in records(home.age_decrypt()).values():
        assert seed not in emergency_text.replace(" ", "") and seed[:16] not in emergency_text
    assert home.seeds.name not in emergency_text and str(home.seeds.parent) not in emergency_text
    assert password not in emergency_text
    # what it says of the vault, checked against keepassxc-cli and sha256
    assert home.vault.name in emergency_text and "USB drive 1, office safe" in emergency_text
    assert hashlib.sha256(home.vault.read_bytes()).hexdigest() in emergency_text
    xml = home.kpcli("export", "-f", "xml", home.vault)
    root_uuid = re.search(r"<Root>\s*<Group>\s*<UUID>([^<]+)</UUID>", xml).group(1)
    import base64

    assert str(uuid.UUID(bytes=base64.b64decode(root_uuid))) in emergency_text
    assert "never" in emergency_text and "held apart" in emergency_text


VAULT_NAME = "aws-root.kdbx"


def test_without_the_paper_packages_the_commands_say_what_to_install(home, tmp_path_factory):
    block = tmp_path_factory.mktemp("block")
    (block / "sitecustomize.py").write_text(
        "import sys\nfor name in ('reportlab', 'segno', 'zxingcpp', 'pypdfium2'):\n    sys.modules[name] = None\n")
    env = base_env()
    env["PYTHONPATH"] = f"{block}{os.pathsep}{env.get('PYTHONPATH', '')}"
    populate(home, 1)
    before = snapshot(home.root)
    for args in (["paper", "seeds", "-o", home.root / "s.pdf"], ["paper", "emergency-sheet", "-o", "-"],
                 ["paper", "restore", home.root / "scan.png"]):
        result = home.rk(*args, env=env)
        assert_clean_failure(result, 2, "pip install 'rootkeeper[paper]'")
    assert snapshot(home.root) == before


def test_paper_options_are_checked_before_anything_is_written(home):
    populate(home, 1)
    before = snapshot(home.root)
    assert_clean_failure(home.rk("paper", "seeds", "-o", "-", "--classification", "x" * 41), 2, "--classification")
    assert_clean_failure(home.rk("paper", "seeds", "-o", "-", "999999999999"), 2, "999999999999")
    assert_clean_failure(home.rk("paper", "seeds", "-o", home.root / "no" / "such" / "dir.pdf"), 2, "does not exist")
    assert_clean_failure(home.rk("paper", "emergency-sheet", "-o", "-", "--location", "a\x07b"), 2, "--location")
    assert snapshot(home.root) == before


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_both_paper_sizes_print_and_read_back(home, paper):
    populate(home, 6)
    sheet = print_sheet(home, f"{paper}.pdf", "--paper", paper)
    info = subprocess.run([oracle("pdfinfo"), sheet], capture_output=True, check=True).stdout.decode()
    size = re.search(r"Page size:\s+([0-9.]+) x ([0-9.]+)", info).groups()
    assert tuple(round(float(v)) for v in size) == {"a4": (595, 842), "letter": (612, 792)}[paper]
    found = [t for p in render(sheet) for t in zbar(p) if t.startswith("otpauth://")]
    assert len(found) == 6


def test_the_emergency_sheet_names_a_key_file_but_prints_nothing_derived_from_it(tmp_path):
    """KeePass takes SHA-256 of a key file that is not XML as the key itself: the sheet prints its name and
    size only (keepassxc-cli opens the vault with it, so the file is a real key file)."""
    from conftest import SEEDS_PASSPHRASE, TINY_KDF, VAULT_PASSWORD, run

    for name in ("vault", "seeds", "keys"):
        (tmp_path / name).mkdir()
    key = tmp_path / "keys" / "vault.keyx"
    key.write_bytes(os.urandom(100))
    password = tmp_path / "keys" / "pw"
    password.write_text(VAULT_PASSWORD + "\n")
    passphrase = tmp_path / "keys" / "pp"
    passphrase.write_text(SEEDS_PASSPHRASE + "\n")
    run(["init", "--vault", "vault/v.kdbx", "--seeds", "seeds/s.age", "--seeds-passphrase-file", passphrase,
         "--vault-key-file", key, *TINY_KDF, "--vault-password-file", password], cwd=tmp_path, check=True)
    cli = oracle("keepassxc-cli")
    opened = subprocess.run([cli, "ls", "-k", key, tmp_path / "vault" / "v.kdbx"], input=(VAULT_PASSWORD + "\n").encode(),
                            capture_output=True, env=base_env())
    assert opened.returncode == 0, opened.stderr
    sheet = tmp_path / "emergency.pdf"
    run(["paper", "emergency-sheet", "-o", sheet, "--vault-password-file", password, "--vault-key-file", key],
        cwd=tmp_path, check=True)
    text = text_of(sheet).replace(" ", "").replace("\n", "")
    digest = hashlib.sha256(key.read_bytes()).hexdigest()
    assert "vault.keyx" in text and "100bytes" in text
    assert digest[:12] not in text and key.read_bytes().hex()[:12] not in text


def test_the_emergency_sheet_lists_the_vaults_media_from_a_custody_plan(home):
    home.rk("custody", "init", "plan.toml", check=True)
    sheet = home.root / "emergency.pdf"
    home.rk("paper", "emergency-sheet", "--plan", "plan.toml", "-o", sheet, check=True)
    text = " ".join(text_of(sheet).split())
    assert "USB 1 (blue) (usb) at office-safe-a, site office" in text
    assert "USB 3 (blue) (usb) at bank-box-a, site offsite, off-site" in text
    assert "network share, RBAC: security admins (share) at server-room" in text
    assert "USB 2 (red)" not in text and "office-safe-b" not in text  # the seed side is never named


def test_an_80_bit_seed_exports_and_prints(home):
    """Found by fuzzing: an 80-bit seed (accepted, with a warning) made otpauth export and the seed sheet fail,
    because building the URI used pyotp's 112-bit floor instead of the 80 bits the codes accept."""
    short = "JBSWY3DPEHPK3PXP"  # 80 bits
    home.rk("seeds", "import", "-", input=f"Account #,Account Name,Account Email,MFA Seed\n123456789012,old,o@example.com,{short}\n",
            check=True)
    exported = home.rk("seeds", "export", "--format", "otpauth")
    assert exported.returncode == 0, exported.err
    assert f"secret={short}" in exported.out
    sheet = print_sheet(home)
    assert any(f"secret={short}" in t for p in render(sheet) for t in zbar(p))


def test_allow_incomplete_refuses_a_code_that_no_marker_of_this_printing_lists(home):
    """A page of an older printing, its marker cut off: its codes hold seeds since replaced. Restored with
    --allow-incomplete they would bring back stale seeds; no marker vouches for them, so they are refused."""
    import zxingcpp
    from PIL import Image, ImageDraw

    populate(home, 12)
    old = render(print_sheet(home), dpi=150)
    with Image.open(old[1]) as image:
        image = image.convert("L")
        for found in zxingcpp.read_barcodes(image):
            if not found.text.startswith("otpauth://"):  # the page marker: cut off
                p = found.position
                xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
                ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
                ImageDraw.Draw(image).rectangle([min(xs) - 8, min(ys) - 8, max(xs) + 8, max(ys) + 8], fill=255)
        stale_page = home.root / "old-page-2.png"
        image.save(stale_page)
    original = records(home.age_decrypt())
    changed = home.root / "changed.csv"
    changed.write_text("Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{a},team-{i:03d},security+team-{i:03d}@example.com,{random_seed()}\n" for i, a in enumerate(original)))
    home.rk("seeds", "import", changed, "--replace", check=True)
    new = render(print_sheet(home, "new-sheet.pdf"), dpi=150)
    target = home.root / "partial.age"
    result = home.rk("paper", "restore", new[0], stale_page, "--into", target, "--allow-incomplete")
    assert_clean_failure(result, 2, "no page marker read lists")
    assert not target.exists()


def test_restore_never_makes_a_seed_store_beside_the_vault(home):
    populate(home, 2)
    pages = render(print_sheet(home), dpi=150)
    target = home.vault.parent / "restored.age"
    before = snapshot(home.root)
    result = home.rk("paper", "restore", *pages, "--into", target)
    assert_clean_failure(result, 2, "both in")
    assert snapshot(home.root) == before and not target.exists()


def test_what_a_scan_may_cost_is_checked_before_it_is_rendered_or_enlarged(tmp_path, monkeypatch):
    """Oversized PDF pages are rendered at most MAX_RENDER_PIXELS; an image above MAX_PIXELS is refused before
    it is decoded; only a small page is read again enlarged. The pixels each step is asked for are recorded
    (the oracle is what pypdfium2 and Pillow are asked to make, not the time taken)."""
    import pypdfium2
    from PIL import Image
    from reportlab.pdfgen import canvas

    from rootkeeper.errors import InputError
    from rootkeeper.paper import scan

    pdf = tmp_path / "huge.pdf"
    drawing = canvas.Canvas(str(pdf), pagesize=(200 * 72, 200 * 72))
    for _ in range(3):
        drawing.showPage()
    drawing.save()
    assert pdf.stat().st_size < 4096
    rendered, enlarged = [], []
    render, resize = pypdfium2.PdfPage.render, Image.Image.resize

    def counting_render(self, scale=1, **kwargs):
        width, height = self.get_size()
        rendered.append(width * height * scale * scale)
        return render(self, scale=scale, **kwargs)

    def counting_resize(self, size, *args, **kwargs):
        enlarged.append(size[0] * size[1])
        return resize(self, size, *args, **kwargs)

    monkeypatch.setattr(pypdfium2.PdfPage, "render", counting_render)
    monkeypatch.setattr(Image.Image, "resize", counting_resize)
    assert scan.read_scan(pdf) == []
    assert len(rendered) == 3 and max(rendered) <= scan.MAX_RENDER_PIXELS * 1.01
    assert enlarged == []  # a page rendered large is not enlarged again
    big = tmp_path / "big.png"
    Image.new("L", (7000, 7000), 255).save(big)
    assert big.stat().st_size < 200_000
    with pytest.raises(InputError, match="7000x7000 pixels"):
        scan.read_scan(big)
    small = tmp_path / "small.png"
    Image.new("L", (1000, 1400), 255).save(small)
    assert scan.read_scan(small) == [] and enlarged == [4 * 1000 * 1400]  # a low-resolution scan: enlarged


def test_restoring_a_sheet_older_than_a_retirement_names_the_account_and_leaves_it_retired(home):
    """An older sheet holds the seed of an account retired since: restoring it must not bring the seed back
    (the account would be half-retired, nobody told)."""
    from rootkeeper.storage.settings import of_config
    from rootkeeper.stores.seeds.store import read_identity_file
    from rootkeeper.workflows.retire import retire_all
    from rootkeeper.workspace import Credentials, Workspace

    populate(home, 3)
    pages = render(print_sheet(home), dpi=150)
    gone = sorted(records(home.age_decrypt()))[0]
    ws = Workspace(of_config(home.config), Credentials(lambda: VAULT_PASSWORD, str,
                                                       lambda: read_identity_file(home.identity)), writer=True)
    retire_all(ws, [(gone, "team-000")])
    ws.release()
    result = home.rk("paper", "restore", *pages)
    assert result.returncode == 0, result.err
    assert f"account {gone} was retired in the seed store" in result.err and "0 added" in result.err
    rows = [r for r in home.age_decrypt().splitlines() if r.startswith(gone)]
    assert len(rows) == 1 and rows[0].split(",")[9] == "retired"  # the State column


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("locations", [0, 2, 3])
def test_the_emergency_sheet_always_has_its_table_of_checks(home, paper, locations):
    """The checks of the copies were left out when the first page was full (two --location lines on A4,
    every Letter sheet): they go on a page of their own then, never away (pdftotext reads them)."""
    places = [arg for index in range(locations) for arg in ("--location", f"USB {index + 1}, safe {index + 1}")]
    sheet = home.root / f"emergency-{paper}-{locations}.pdf"
    home.rk("paper", "emergency-sheet", "-o", sheet, "--paper", paper, *places, check=True)
    text = text_of(sheet)
    assert "Checks of the copies" in text and text.count("Date, who, which copy, opened (yes/no):") >= 3, text[-600:]
    assert all(f"USB {index + 1}, safe {index + 1}" in text for index in range(locations))


def test_a_file_system_that_ignores_permissions_is_said_never_0600(home):
    """A CIFS or smbfs mount ignores chmod and creates files with its own mode, FAT has none: the seed sheet and
    the key shares written there are said to be readable by others, never '(0600)'. Simulated: files created
    0644 and chmod ignored, as such a mount does."""
    home.rk("enroll", "000000000042", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
    cifs = ("import os, sys\n"
            "real_open = os.open\n"
            "os.open = lambda path, flags, mode=0o777, *a, **k: real_open(path, flags, 0o644 if flags & os.O_CREAT "
            "else mode, *a, **k)\n"
            "os.fchmod = lambda fd, mode: None\n"
            "os.umask(0o022)\n"
            "from rootkeeper.cli import main\n"
            "main(sys.argv[1:])\n")
    done = subprocess.run([sys.executable, "-c", cifs, "paper", "seeds", "-o", "sheet.pdf", *map(str, home.creds())],
                          cwd=home.root, env=base_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(0600" not in done.stderr and "is readable by others (mode 0644, not 0600)" in done.stderr, done.stderr
    honest = home.rk("paper", "seeds", "-o", "sheet2.pdf", check=True)  # where permissions hold, they are said
    assert "0600, owner only" in honest.err


KEYS = (key_medium("yubikey-1", "security-key", 'place = "bank-box-b"',
                   {"123456789012": "arn:aws:iam::123456789012:u2f/root/yubikey-1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
                   "YubiKey 5C (blue tag)")
        + key_medium("token-7", "hardware-token", 'holder = "bob"', {"210987654321": "GAKT12345678"},
                     "Gemalto token 7"))


def test_the_sheets_name_the_keys_and_tokens_the_seed_sheet_says_where_the_vault_sheet_never(home):
    """A FIDO key or a token is a root MFA factor no sheet restores: the seed sheet names each and where it lives;
    the vault's emergency sheet names them too, but never where (the seed side's whereabouts are not the vault's)."""
    home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
    home.rk("custody", "init", "plan.toml", check=True)
    (home.root / "plan.toml").write_text((home.root / "plan.toml").read_text() + KEYS)
    sheet = print_sheet(home, "seeds.pdf", "--plan", "plan.toml")
    text = " ".join(text_of(sheet).split())
    assert "YubiKey 5C (blue tag) (FIDO security key): root MFA of 123456789012; at bank-box-b (site offsite)" in text
    assert "Gemalto token 7 (hardware TOTP token, serial GAKT12345678): root MFA of 210987654321; carried by bob" in text
    assert any("secret=" in t for p in render(sheet) for t in zbar(p))  # the codes still read
    emergency = home.root / "emergency.pdf"
    home.rk("paper", "emergency-sheet", "--plan", "plan.toml", "-o", emergency, check=True)
    text = " ".join(text_of(emergency).split())
    assert "YubiKey 5C (blue tag) (FIDO security key): root MFA of 123456789012" in text
    assert "bank-box-b" not in text and "carried by bob" not in text


def test_an_account_with_two_virtual_devices_prints_both_seeds_and_restores_both_from_scans_or_typed_lines(home):
    """Two seeds of one account (two virtual MFA devices of root): two records on the sheet, each with its device;
    zbarimg reads both, and restore from the scans or from the typed lines alone (the second record's tags end
    with @2) gives back both seeds, each with its device, as the age CLI reads the restored store."""
    account = "300000000007"
    seeds = [random_seed(), random_seed()]
    table = home.root / "two.csv"
    table.write_text("Account #,Account Name,Account Email,MFA Seed,Device ARN\n" + "".join(
        f"{account},payments,security+payments@example.com,{seed},arn:aws:iam::{account}:mfa/{device}\n"
        for seed, device in zip(seeds, ["site-a", "site-b"], strict=True)))
    home.rk("seeds", "import", table, check=True)
    populate(home, 2)
    sheet = print_sheet(home)
    uris = [t for page in render(sheet) for t in zbar(page) if t.startswith("otpauth://")]
    secrets = {dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(u).query))["secret"]: u for u in uris}
    assert set(seeds) <= set(secrets) and len(uris) == 4
    assert "device=site-b" in secrets[seeds[1]] and "device=site-a" in secrets[seeds[0]]
    text = text_of(sheet)
    assert f"{account} device@2" in text and "MFA device site-b" in text

    def active(path):
        return sorted((r["Account #"], r["MFA Seed"], r["Device ARN"]) for r in csv.DictReader(
            io.StringIO(age_decrypt(home, path))) if r["State"] == "active")

    from_scans = home.root / "from-scans.age"
    home.rk("paper", "restore", *render(sheet, 150), "--into", from_scans, check=True)
    assert active(from_scans) == active(home.seeds)
    lines = [ln for ln in text.splitlines() if re.match(r"^\s*[0-9]{12} \S+", ln)]
    typed = home.root / "typed.txt"
    typed.write_text("\n".join(ln.strip() for ln in lines) + "\n" + sheet_line(sheet) + "\n")
    by_hand = home.root / "by-hand.age"
    home.rk("paper", "restore", "--typed", typed, "--into", by_hand, check=True)
    assert active(by_hand) == active(home.seeds)
    # The second record's lines are its own: one typed under the first record's tag fails its check.
    swapped = re.sub(r" device@2(\s+)site-b", r" device\1site-b", typed.read_text())
    assert swapped != typed.read_text()
    typed.write_text(swapped)
    result = home.rk("paper", "restore", "--typed", typed, "--into", home.root / "never.age")
    assert_clean_failure(result, 2, "check")
