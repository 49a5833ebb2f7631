"""The headless Chromium that the browser tests drive: found, or installed.

    python -m tests.chromium     # `make test` runs this before any test

prints the browser to use on its last line (a path, or `playwright` for
Playwright's own download) and exits 0, or prints one line saying what to
install and exits 1. In order it tries: GOVERNOR_CHROMIUM, a Chromium on
the PATH, Playwright's own download if present; then installs Debian's or
Ubuntu's `chromium` package when it may (as root, or with passwordless
sudo), then Playwright's download where the network allows it. Every
candidate is launched once before it is chosen, so a broken install is
never handed to the tests. Imports no Django.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Playwright's own build, downloaded by `playwright install chromium`.
PLAYWRIGHT = "playwright"
INSTRUCTION = (
    "No Chromium for the browser tests: install Debian's or Ubuntu's package "
    "(sudo apt-get install -y chromium) or Playwright's browser "
    "(.venv/bin/python -m playwright install chromium), or set GOVERNOR_CHROMIUM "
    "to a Chromium binary, then run make test again."
)


def say(message: str) -> None:
    print(f"browser: {message}", file=sys.stderr, flush=True)


def launch_options(browser: str) -> dict:
    """Playwright's `chromium.launch` arguments for a browser named as above."""
    if browser == PLAYWRIGHT:
        return {"args": ARGS}
    return {"executable_path": browser, "args": ARGS}


def _launches(browser: str) -> bool:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as pw:
            if browser == PLAYWRIGHT and not os.path.exists(pw.chromium.executable_path):
                return False
            instance = pw.chromium.launch(**launch_options(browser), timeout=60_000)
            instance.new_page().set_content("<p>ok</p>")
            instance.close()
    except Error as exc:
        say(f"{browser} does not start: {str(exc).splitlines()[0]}")
        return False
    return True


def _candidates() -> list[str]:
    chosen = os.environ.get("GOVERNOR_CHROMIUM", "").strip()
    if chosen:
        return [chosen]
    found = [shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")]
    return [path for path in dict.fromkeys(found) if path] + [PLAYWRIGHT]


def find() -> str | None:
    """A browser that starts, without installing anything."""
    return next((browser for browser in _candidates() if _launches(browser)), None)


def _privileged() -> list[str] | None:
    """The prefix that runs a command as root, if this user may without a password."""
    if os.geteuid() == 0:
        return []
    if (
        shutil.which("sudo")
        and subprocess.run(  # noqa: S603 - fixed arguments
            ["sudo", "-n", "true"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        # sudo drops the caller's environment; `env` sets what apt-get needs.
        return ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
    return None


def _install_package() -> bool:
    prefix = _privileged()
    if not shutil.which("apt-get") or prefix is None:
        return False
    say("installing Debian's chromium package with apt-get (about a minute, once)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [*prefix, *command], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            # apt's chatter only when it failed: then it says why.
            say(f"{' '.join(command)} failed (exit {done.returncode}): {done.stderr.strip()}")
            return False
    return True


def _install_playwright() -> bool:
    say("downloading Playwright's chromium")
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "playwright", "install", "chromium"],
        stdout=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode == 0


def ensure() -> str | None:
    browser = find()
    if browser is not None or os.environ.get("GOVERNOR_CHROMIUM"):
        return browser
    for install in (_install_package, _install_playwright):
        if install():
            browser = find()
            if browser is not None:
                return browser
    return None


def main() -> int:
    browser = ensure()
    if browser is None:
        print(INSTRUCTION, file=sys.stderr)
        return 1
    say(f"using {browser}")
    print(browser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
