"""`neuraldrummer app`: the drum notebook as a web page, driven end to end in headless Chromium.

Needs Chromium and its driver from the system packages (Debian: ``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them). ``scripts/app_screenshot.py`` drives the same page
with the shipped model for ``reports/app.png``.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pretty_midi
from selenium.webdriver.common.keys import Keys

import factory

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(download_dir: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "the app test needs Chromium and ChromeDriver: apt-get install chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    opts.page_load_strategy = "none"  # Voila streams the page and keeps its kernel's socket open
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1800", f"--user-data-dir={download_dir.parent / 'profile'}"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


def wait_for(driver, find, timeout=120.0, what="element"):
    end = time.time() + timeout
    while time.time() < end:
        try:
            found = find(driver)
            if found:
                return found
        except Exception:  # the page is still building
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; page text: {driver.find_element('tag name', 'body').text[:800]}")


def button(driver, label):
    for b in driver.find_elements("css selector", "button"):
        if b.text.strip() == label and b.is_displayed():
            return b
    return None


def upload(driver, path: Path) -> None:
    """Give the page's upload button a file, as a user picking it would: ipywidgets' upload button
    opens a file input that it keeps out of the page; show that input instead of a file dialog."""
    driver.execute_script("""
        const click = HTMLInputElement.prototype.click;
        HTMLInputElement.prototype.click = function () {
            if (this.type !== 'file') { return click.call(this); }
            this.id = 'nd-file-input'; this.style.display = 'block'; document.body.appendChild(this);
        };""")
    button(driver, "upload song (0)").click()
    wait_for(driver, lambda d: d.find_elements("css selector", "#nd-file-input"), what="the upload")[0] \
        .send_keys(str(path))


def serve(port: int, cwd: Path, log_path: Path, model: Path | None = None,
          tmpdir: Path | None = None) -> subprocess.Popen:
    """``neuraldrummer app`` on ``port``, its log in a file (a full pipe nobody reads blocks a server)."""
    env = dict(os.environ)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    if model is not None:
        env["NEURALDRUMMER_MODEL"] = str(model)
    log = open(log_path, "w")
    server = subprocess.Popen([sys.executable, "-m", "neuraldrummer", "app", "--port", str(port)], cwd=cwd,
                              env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    log.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.5)
    return server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def drive(driver, port: int, song: Path, downloads: Path) -> Path:
    """Load the page, upload ``song``, press drum (another seed), re-roll bars, download: the file."""
    driver.get(f"http://127.0.0.1:{port}/")
    wait_for(driver, lambda d: button(d, "drum"), what="the drum button")
    text = driver.find_element("tag name", "body").text
    assert "drums for your song" in text and "import matplotlib" not in text  # the page's own text, code hidden
    assert "INPUT_PATH" not in text and "run all cells" not in text.lower()
    upload(driver, song)
    name = f"{song.stem}_drums.mid"

    def link(d):
        return [a for a in d.find_elements("css selector", "a.nd-download") if a.get_attribute("download") == name]

    first = wait_for(driver, link, what="the uploaded song drummed")[0].get_attribute("href")
    seed = driver.find_element("css selector", "input[type=number]")
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("5\n")
    button(driver, "drum").click()  # another take of the whole song
    wait_for(driver, lambda d: link(d) and link(d)[0].get_attribute("href") != first, what="a new take")
    assert driver.find_elements("css selector", "audio"), "no audio player on the page"
    assert driver.find_elements("css selector", "img"), "no drum roll on the page"
    button(driver, "re-roll bars").click()
    wait_for(driver, lambda d: "drawn again (take 1)" in d.find_element("tag name", "body").text,
             what="the re-rolled bars")
    anchor = link(driver)[0]
    driver.execute_script("arguments[0].scrollIntoView();", anchor)
    anchor.click()
    got = wait_for(driver, lambda d: [p for p in downloads.glob("*.mid")], timeout=30, what="the download")[0]
    time.sleep(0.5)
    return got


def test_app_page_uploads_drums_and_downloads(tiny_model, tmp_path):
    song = factory.save(factory.song(bars=6, drums=False), tmp_path / "my_song.mid")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    port = free_port()
    server_tmp = tmp_path / "server_tmp"
    server_tmp.mkdir()
    server = serve(port, tmp_path, Path(os.environ.get("ND_APP_LOG", tmp_path / "server.log")), tiny_model,
                   server_tmp)
    driver = None
    try:
        driver = browser(downloads)
        got = drive(driver, port, song, downloads)
        pm = pretty_midi.PrettyMIDI(str(got))
        assert got.name == "my_song_drums.mid"
        assert sum(len(i.notes) for i in pm.instruments if i.is_drum) > 0
        assert sum(len(i.notes) for i in pm.instruments if not i.is_drum) > 0
        driver.save_screenshot(str(tmp_path / "app.png"))
        assert (tmp_path / "app.png").stat().st_size > 10000
    finally:
        if driver is not None:
            driver.quit()
        stop(server)
    # the server's folder of drummed files is gone with it, and nothing was written where it ran
    left = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("app.png", "server.log"))
    assert left == ["downloads", "my_song.mid", "profile", "server_tmp"]
    assert not [p for p in server_tmp.iterdir() if p.name.startswith("neuraldrummer-app-")]
