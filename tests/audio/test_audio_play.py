"""PLAY: local WAV files and 127.0.0.1 URLs are heard, resampled to the
preview's rate; anything else is the placeholder, with a note, and no other
host is ever asked."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from audio_checks import goertzel, tone, wav_bytes

from dialplan_compiler.audio import PREVIEW_RATE, Play, render
from dialplan_compiler.audio import play, tones


def assert_placeholder(rendered, *why: str) -> None:
    assert rendered.samples == tones.placeholder() * rendered.placements[0].segment.times
    (note,) = rendered.notes
    assert note.startswith("placeholder beeps stand in for ")
    for part in why:
        assert part in note, note


@pytest.fixture
def stereo_8k(tmp_path) -> Path:
    """One second of 8 kHz stereo: 500 Hz on the left, silence on the right."""
    left = tone(500, 1.0, 8000, 20000)
    frames = [s for sample in left for s in (sample, 0)]
    path = tmp_path / "prompt.wav"
    path.write_bytes(wav_bytes(frames, 8000, channels=2))
    return path


def test_a_local_wav_at_8_khz_stereo_is_resampled_with_its_duration(stereo_8k):
    rendered = render([Play(stereo_8k)])
    samples = rendered.samples
    assert rendered.notes == ()
    assert len(samples) == PREVIEW_RATE  # one second, at the preview's rate
    # The channels are averaged: half the left's level, at its frequency.
    assert 9000 < max(samples) <= 10001
    assert goertzel(samples, 500) > 1000 * goertzel(samples, 1000)


def test_a_path_a_string_path_and_a_file_url_are_the_same_file(stereo_8k):
    heard = [render([Play(source)]).samples
             for source in (stereo_8k, str(stereo_8k), stereo_8k.as_uri())]
    assert heard[0] == heard[1] == heard[2]


def test_played_twice_is_heard_twice(stereo_8k):
    assert render([Play(stereo_8k, times=2)]).samples == render([Play(stereo_8k)]).samples * 2


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_every_sample_width_wave_reads_is_heard_at_its_level(tmp_path, width):
    peak = 0.5 * 2 ** (8 * width - 1)
    path = tmp_path / f"{width}.wav"
    path.write_bytes(wav_bytes(tone(1000, 0.5, PREVIEW_RATE, peak), PREVIEW_RATE, width=width))
    samples = render([Play(path)]).samples
    assert len(samples) == PREVIEW_RATE // 2
    assert 16000 <= max(samples) <= 16384


def test_a_44_1_khz_file_is_halved_and_three_channels_are_averaged(tmp_path):
    path = tmp_path / "three.wav"
    path.write_bytes(wav_bytes([300, 600, 900] * 44100, 44100, channels=3))
    samples = render([Play(path)]).samples
    assert len(samples) == PREVIEW_RATE and set(samples) == {600}


@pytest.mark.parametrize("content, why", [
    (b"ID3\x04 not a wav but an mp3", "not a WAV file"),
    (b"", "not a WAV file"),
    (wav_bytes([0] * 10, 8000)[:30], "not a WAV file")])
def test_a_file_that_is_not_a_wav_is_the_placeholder(tmp_path, content, why):
    path = tmp_path / "prompt.wav"
    path.write_bytes(content)
    assert_placeholder(render([Play(path)]), str(path), why)


def test_a_missing_file_is_the_placeholder(tmp_path):
    assert_placeholder(render([Play(tmp_path / "gone.wav", times=3)]), "cannot be read")


class Server(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 with fixed answers, counting requests."""

    def __init__(self, routes: dict[str, tuple[int, dict, bytes]]):
        self.routes = routes
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    routes: dict[str, tuple[int, dict, bytes]] = {}
    with Server(routes) as running:
        thread = threading.Thread(target=running.serve_forever, args=(0.05,),
                              daemon=True)
        thread.start()
        yield running
        running.shutdown()
        thread.join(5)


def test_a_wav_on_127_0_0_1_is_fetched(server, stereo_8k):
    server.routes["/audio/prompt.wav"] = (200, {"Content-Type": "audio/wav"},
                                          stereo_8k.read_bytes())
    rendered = render([Play(f"{server.url}/audio/prompt.wav")])
    assert server.requests == ["/audio/prompt.wav"]
    assert rendered.notes == ()
    assert rendered.samples == render([Play(stereo_8k)]).samples


def test_a_file_played_again_in_one_rendering_is_fetched_once(server, stereo_8k):
    url = f"{server.url}/audio/prompt.wav"
    server.routes["/audio/prompt.wav"] = (200, {}, stereo_8k.read_bytes())
    rendered = render([Play(url), Play(url, times=2)])
    assert server.requests == ["/audio/prompt.wav"]
    assert rendered.samples == render([Play(stereo_8k, times=3)]).samples


def test_a_placeholder_heard_twice_is_told_once(tmp_path):
    rendered = render([Play(tmp_path / "gone.wav"), Play(tmp_path / "gone.wav")])
    assert len(rendered.notes) == 1
    assert all(p.note for p in rendered.placements)


def test_an_error_from_the_local_server_is_the_placeholder(server):
    assert_placeholder(render([Play(f"{server.url}/missing.wav")]), "answered 404")


def test_a_redirect_is_not_followed(server):
    server.routes["/moved.wav"] = (302, {"Location": "http://example.com/moved.wav"}, b"")
    assert_placeholder(render([Play(f"{server.url}/moved.wav")]), "answered 302")
    assert server.requests == ["/moved.wav"]


def test_a_local_server_that_is_not_there_is_the_placeholder(server):
    url = server.url
    server.shutdown()
    server.server_close()
    assert_placeholder(render([Play(f"{url}/prompt.wav")]), "could not be fetched")


@pytest.fixture
def no_requests(monkeypatch):
    """httpx's clients refuse to be made: the test fails if anything would
    be fetched."""
    import httpx

    def refuse(*args, **kwargs):
        raise AssertionError("a request would have been sent")

    monkeypatch.setattr(httpx, "Client", refuse)
    monkeypatch.setattr(httpx, "AsyncClient", refuse)


@pytest.mark.parametrize("url", [
    "http://example.com/prompt.wav", "https://cdn.example.com/audio/prompt.wav",
    "http://10.0.0.1/prompt.wav", "http://127.0.0.1.example.com/prompt.wav",
    "http://localhost.example.com/prompt.wav", "http://127.0.0.1@example.com/prompt.wav",
    "http://[::ffff:8.8.8.8]/prompt.wav", "http://0.0.0.0/prompt.wav"])
def test_another_host_is_never_fetched(no_requests, url):
    assert_placeholder(render([Play(url)]), url, "is not this machine")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/prompt.wav", "s3://bucket/prompt.wav",
                                 "file://fileserver/share/prompt.wav"])
def test_other_schemes_are_never_fetched(no_requests, url):
    assert_placeholder(render([Play(url)]), url)


def test_the_local_hosts_are_this_machine_only():
    assert play.LOCAL_HOSTS == {"127.0.0.1", "::1", "localhost"}


def test_an_environment_proxy_is_not_used(server, stereo_8k, monkeypatch):
    # A proxy would carry the request off the machine; this one is not there.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    server.routes["/prompt.wav"] = (200, {}, stereo_8k.read_bytes())
    assert render([Play(f"{server.url}/prompt.wav")]).notes == ()
    assert server.requests == ["/prompt.wav"]


def test_a_file_too_large_is_not_read(server, monkeypatch, stereo_8k):
    monkeypatch.setattr(play, "MAX_FILE_BYTES", 1000)
    server.routes["/big.wav"] = (200, {}, stereo_8k.read_bytes())
    assert_placeholder(render([Play(f"{server.url}/big.wav")]), "larger than")
    assert_placeholder(render([Play(stereo_8k)]), "larger than")
