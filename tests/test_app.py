"""`neuraldrummer app`: the drum notebook as a web page, driven end to end in headless Chromium.

Needs Chromium and its driver from the system packages (Debian: ``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them). Set ``NEURALDRUMMER_SCREENSHOT=reports/app.png``
to keep a screenshot of the drummed page.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pretty_midi

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


def test_app_page_uploads_drums_and_downloads(tiny_model, tmp_path):
    song = factory.save(factory.song(bars=6, drums=False), tmp_path / "my_song.mid")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    port = free_port()
    env = dict(os.environ, NEURALDRUMMER_MODEL=str(tiny_model))
    log = open(os.environ.get("ND_APP_LOG", tmp_path / "server.log"), "w")  # a file, not a pipe nobody reads (a full pipe blocks the server)
    server = subprocess.Popen([sys.executable, "-m", "neuraldrummer", "app", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        driver = browser(downloads)
        driver.get(f"http://127.0.0.1:{port}/")
        wait_for(driver, lambda d: button(d, "drum"), what="the drum button")
        text = driver.find_element("tag name", "body").text
        assert "The drum studio" in text and "import matplotlib" not in text  # the code is hidden
        # ipywidgets' upload button opens a file input it keeps out of the page; show that input
        # instead of a file dialog, and give it the song as a user picking the file would
        driver.execute_script("""
            const click = HTMLInputElement.prototype.click;
            HTMLInputElement.prototype.click = function () {
                if (this.type !== 'file') { return click.call(this); }
                this.id = 'nd-file-input'; this.style.display = 'block'; document.body.appendChild(this);
            };""")
        button(driver, "upload song (0)").click()
        upload = wait_for(driver, lambda d: d.find_elements("css selector", "#nd-file-input"), what="the upload")
        upload[0].send_keys(str(song))

        def link(d):
            return [a for a in d.find_elements("css selector", "a.nd-download")
                    if a.get_attribute("download") == "my_song_drums.mid"]

        first = wait_for(driver, link, what="the uploaded song drummed")[0].get_attribute("href")
        seed = driver.find_element("css selector", "input[type=number]")
        seed.clear()
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
        pm = pretty_midi.PrettyMIDI(str(got))
        assert got.name == "my_song_drums.mid"
        assert sum(len(i.notes) for i in pm.instruments if i.is_drum) > 0
        assert sum(len(i.notes) for i in pm.instruments if not i.is_drum) > 0
        shot = os.environ.get("NEURALDRUMMER_SCREENSHOT")
        driver.save_screenshot(str(tmp_path / "app.png"))
        assert (tmp_path / "app.png").stat().st_size > 10000
        if shot:
            shutil.copy(tmp_path / "app.png", shot)
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
