"""Speech: espeak-ng speaks each of Routee's languages in both genders, and
without the audio extra the preview says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest
from audio_checks import rms

from dialplan_compiler import routee
from dialplan_compiler.audio import (GENDERS, PREVIEW_RATE, VOICES, AudioUnavailable, Speech,
                                     espeak_voice, render, speech_seconds)

#: Something to say in each language, in its own script.
HELLO = {"en-US": "Hello, and welcome.", "en-GB": "Hello, and welcome.",
         "de-DE": "Hallo und willkommen.", "fr-FR": "Bonjour et bienvenue.",
         "it-IT": "Ciao e benvenuti.", "pt-BR": "Olá e bem-vindo.",
         "es-ES": "Hola y bienvenido.", "es-LA": "Hola y bienvenido.",
         "el-GR": "Γεια σας και καλώς ήρθατε.", "bg-BG": "Здравейте и добре дошли.",
         "pl-PL": "Dzień dobry i witamy.", "hu-HU": "Helló és üdvözöljük.",
         "sv-SE": "Hej och välkommen.", "ru-RU": "Здравствуйте и добро пожаловать."}
#: The voice file in espeak-ng-data/lang/ that each language must select.
EXPECTED = {"en-US": "gmw/en-US", "de-DE": "gmw/de", "fr-FR": "roa/fr", "it-IT": "roa/it",
            "pt-BR": "roa/pt-BR", "es-ES": "roa/es", "es-LA": "roa/es-419", "en-GB": "gmw/en",
            "el-GR": "grk/el", "bg-BG": "zls/bg", "pl-PL": "zlw/pl", "hu-HU": "urj/hu",
            "sv-SE": "gmq/sv", "ru-RU": "zle/ru"}


def test_every_routee_language_has_a_voice_and_only_those():
    assert set(VOICES) == set(routee.LANGUAGES) == set(HELLO) == set(EXPECTED)
    assert GENDERS == routee.GENDERS


@pytest.mark.parametrize("language", routee.LANGUAGES)
def test_each_language_selects_its_own_voice_not_a_fallback(language):
    assert espeak_voice(language) == EXPECTED[language]
    assert espeak_voice(language, "male") == EXPECTED[language]
    # Female is a variant of the same voice.
    assert espeak_voice(language, "female").startswith(EXPECTED[language] + "+")


@pytest.mark.parametrize("gender", GENDERS)
@pytest.mark.parametrize("language", routee.LANGUAGES)
def test_speech_is_heard_in_each_language_and_gender(language, gender):
    samples = render([Speech(HELLO[language], language, gender)]).samples
    assert len(samples) > PREVIEW_RATE // 4
    assert rms(samples) > 500


@pytest.mark.parametrize("language", routee.LANGUAGES)
def test_the_two_genders_sound_different(language):
    male = render([Speech(HELLO[language], language, "male")]).samples
    female = render([Speech(HELLO[language], language, "female")]).samples
    assert male != female


@pytest.mark.parametrize("language", routee.LANGUAGES)
def test_a_longer_text_takes_longer(language):
    short = speech_seconds(HELLO[language], language, "female")
    longer = speech_seconds(" ".join([HELLO[language]] * 3), language, "female")
    assert 0 < short < longer


def test_speech_seconds_is_the_rendered_length():
    text = "Please enter your four digit booking code, then press hash."
    rendered = render([Speech(text, "en-GB", "female")])
    assert speech_seconds(text, "en-GB", "female") == len(rendered.samples) / PREVIEW_RATE


def test_threads_speaking_at_once_each_get_their_own_words():
    from dialplan_compiler.audio import speech

    texts = [(f"Number {n} of twelve." * (1 + n % 3), language) for n, language in
             zip(range(12), ["en-GB", "ru-RU", "el-GR", "de-DE"] * 3)]
    alone = [len(speech.synthesize(text, language)) for text, language in texts]
    speech._spoken.cache_clear()  # so that every thread runs the synthesiser
    heard: dict[int, int] = {}

    def speak(index):
        heard[index] = len(speech.synthesize(*texts[index]))

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Interleaved utterances would land in one another's samples; espeak-ng's
    # pitch flutter (see speech.synthesize) moves a length by a few samples.
    for index, length in enumerate(alone):
        assert abs(heard[index] - length) < length / 100, texts[index]


def test_the_same_text_is_the_same_samples_within_a_preview():
    first = render([Speech("Sorry, that is not an option.", "en-GB", "female")]).samples
    render([Speech("Something else in between.", "en-GB", "female")])
    again = render([Speech("Sorry, that is not an option.", "en-GB", "female")]).samples
    assert first == again


def test_unknown_language_or_gender_is_refused():
    with pytest.raises(ValueError):
        speech_seconds("Hi", "xx-XX")
    with pytest.raises(ValueError):
        espeak_voice("en-GB", "robot")


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def test_without_the_extra_speech_raises_audio_unavailable_and_the_rest_works():
    done = run("""
        import sys
        sys.modules["espeakng_loader"] = None   # as if it were not installed
        from dialplan_compiler.audio import AudioUnavailable, Keys, Silence, Speech, render
        assert len(render([Silence(0.1), Keys("1")]).samples) > 0
        for attempt in ("import dialplan_compiler.audio.speech",
                        "render([Speech('Hello.', 'en-GB')])",
                        "from dialplan_compiler.audio import speech_seconds; "
                        "speech_seconds('Hello.', 'en-GB')"):
            try:
                exec(attempt)
            except AudioUnavailable as error:
                print(type(error).__name__, error, sep=": ")
            else:
                print("no error from", attempt)
        """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3, done.stdout
    for line in lines:
        assert line.startswith("AudioUnavailable: ")
        assert "pip install '.[audio]'" in line
    assert "Traceback" not in done.stderr


def test_a_library_that_does_not_load_raises_audio_unavailable():
    done = run("""
        import espeakng_loader
        espeakng_loader.get_library_path = lambda: "/nonexistent/libespeak-ng.so"
        from dialplan_compiler.audio import AudioUnavailable, speech_seconds
        try:
            speech_seconds("Hello.", "en-GB")
        except AudioUnavailable as error:
            print(error)
        """)
    assert done.returncode == 0, done.stderr
    assert "does not load" in done.stdout and "pip install '.[audio]'" in done.stdout


def test_audio_unavailable_is_not_an_import_error():
    # A CLI catches it by name; a generic `except ImportError` must not.
    assert not issubclass(AudioUnavailable, ImportError)
