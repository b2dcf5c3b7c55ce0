"""Speech for previews, synthesised by espeak-ng through ctypes.

The voice is espeak-ng's and stands in for Routee's: a preview says the
same words in the same language and gender, but Routee's voices sound (and
pace) differently. The library and its voice data come from the
espeakng-loader package, the `audio` extra; nothing is installed
system-wide. Importing this module without it raises AudioUnavailable.
"""

from __future__ import annotations

import ctypes
import threading
from array import array
from functools import lru_cache

from .errors import INSTALL, AudioUnavailable
from .pcm import PREVIEW_RATE, resample
from .voices import GENDERS, VOICES

try:
    import espeakng_loader
except ImportError:
    raise AudioUnavailable(
        f"speech in audio previews needs the audio extra (espeakng-loader): {INSTALL}") from None

# espeak-ng's speak_lib.h, version 1.52.
_AUDIO_OUTPUT_SYNCHRONOUS = 2     # the callback gets all audio before espeak_Synth returns
_INITIALIZE_DONT_EXIT = 0x8000    # without it espeak-ng calls exit() on a bad data path
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EE_OK = 0
_GENDER_CODES = {None: 0, "male": 1, "female": 2}


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                  ctypes.c_void_p)

# libespeak-ng keeps one global synthesiser (voice, buffers, callback): every
# call into it, from any thread, holds this lock, and the chunks of the
# utterance in progress go to the one list below.
_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_rate = 0
_chunks: list[bytes] = []


@_SynthCallback
def _collect(wav, count, events):
    if wav and count > 0:
        _chunks.append(ctypes.string_at(wav, count * 2))
    return 0  # 0: go on synthesising


def _load() -> ctypes.CDLL:
    """The library, initialised on first use (it reads its data then, which
    takes a moment no import should pay for). Call with _lock held."""
    global _library, _rate
    if _library is not None:
        return _library
    try:
        library = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path()
    except (OSError, RuntimeError) as error:
        raise AudioUnavailable(f"espeak-ng from espeakng-loader does not load ({error}); "
                               f"reinstall the audio extra: {INSTALL}") from None
    library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
    library.espeak_Initialize.restype = ctypes.c_int
    library.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    library.espeak_SetSynthCallback.restype = None
    library.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_Voice)]
    library.espeak_SetVoiceByProperties.restype = ctypes.c_int
    library.espeak_GetCurrentVoice.argtypes = []
    library.espeak_GetCurrentVoice.restype = ctypes.POINTER(_Voice)
    library.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]
    library.espeak_Synth.restype = ctypes.c_int
    library.espeak_Synchronize.argtypes = []
    library.espeak_Synchronize.restype = ctypes.c_int
    rate = library.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(),
                                     _INITIALIZE_DONT_EXIT)
    if rate <= 0:
        raise AudioUnavailable(f"espeak-ng did not start with its data at {data}; "
                               f"reinstall the audio extra: {INSTALL}")
    library.espeak_SetSynthCallback(_collect)
    _library, _rate = library, rate
    return library


def _check(language: str, gender: str | None) -> None:
    if language not in VOICES:
        raise ValueError(f"{language!r} is not one of Routee's languages ({' '.join(VOICES)})")
    if gender is not None and gender not in GENDERS:
        raise ValueError(f"{gender!r} is not a gender Routee speaks (male or female)")


def _select(library: ctypes.CDLL, language: str, gender: str | None) -> None:
    # By properties rather than by name: espeak-ng then picks the language's
    # voice and, for a gender the voice is not, one of its variants (+f2 for
    # female), as it does for any speech-dispatcher client.
    spec = _Voice(languages=VOICES[language].encode(), gender=_GENDER_CODES[gender])
    if library.espeak_SetVoiceByProperties(ctypes.byref(spec)) != _EE_OK:
        raise AudioUnavailable(f"espeak-ng has no voice for {language} "
                               f"({VOICES[language]}) in its data; reinstall the audio "
                               f"extra: {INSTALL}")


def voice(language: str, gender: str | None = None) -> str:
    """The espeak-ng voice that speaks `language` in `gender`, as espeak-ng
    names it (e.g. "roa/es-419+f2": the voice file, then any variant)."""
    _check(language, gender)
    with _lock:
        library = _load()
        _select(library, language, gender)
        return library.espeak_GetCurrentVoice().contents.identifier.decode()


def synthesize(text: str, language: str, gender: str | None = None) -> array:
    """`text` spoken in `language` (one of Routee's, e.g. "en-GB") and
    `gender` ("male", "female" or None for the voice's own), as mono 16-bit
    samples at PREVIEW_RATE.

    The last 256 utterances are kept: a preview repeats its prompts, and a
    prompt then sounds the same each time. (espeak-ng's pitch flutter runs
    on from one utterance to the next, a counter it never resets, so a text
    synthesised afresh can come out a few samples longer or shorter.)"""
    _check(language, gender)
    samples = array("h")
    samples.frombytes(_spoken(text, language, gender))
    return samples


@lru_cache(maxsize=256)
def _spoken(text: str, language: str, gender: str | None) -> bytes:
    """The samples, in the machine's byte order as espeak-ng hands them over."""
    # UTF-8, because Routee's languages are not all Latin-script; espeak-ng
    # reads a C string, so a NUL inside the text would end it early.
    encoded = text.replace("\0", " ").encode("utf-8", "replace") + b"\0"
    with _lock:
        library = _load()
        _select(library, language, gender)
        _chunks.clear()
        try:
            status = library.espeak_Synth(encoded, len(encoded), 0, _POS_CHARACTER, 0,
                                          _CHARS_UTF8, None, None)
            library.espeak_Synchronize()
            if status != _EE_OK:
                raise RuntimeError(f"espeak-ng could not speak {text[:40]!r} (error {status})")
            data = b"".join(_chunks)
        finally:
            _chunks.clear()
        rate = _rate
    if rate == PREVIEW_RATE:
        return data
    samples = array("h")
    samples.frombytes(data)
    return resample(samples, rate, PREVIEW_RATE).tobytes()


def seconds(text: str, language: str, gender: str | None = None) -> float:
    """How long espeak-ng takes to say `text` (see synthesize), in seconds."""
    return len(synthesize(text, language, gender)) / PREVIEW_RATE
