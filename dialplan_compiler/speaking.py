"""How long text takes to say, from a per-language speaking rate.

The one table of speaking rates: `menus/timing.py` times paths with it when
the `audio` extra is not installed, and the checker warns with it when a
menu's prompt takes longer to say than the menu waits for an answer (DP324).
"""

from __future__ import annotations

#: Characters per second (spaces and punctuation included) of espeak-ng
#: 1.52 (espeakng-loader 0.2.4) at its default speed (175 words a minute),
#: female voice, saying `menus.timing.CALIBRATION[language]`, measured with
#: `audio.speech_seconds` (characters / seconds, one decimal). The voice the
#: preview uses, so the two sources agree to within a sentence's variation.
SPEAKING_RATES: dict[str, float] = {
    "en-US": 18.2, "en-GB": 18.5, "de-DE": 16.8, "fr-FR": 21.8, "it-IT": 17.1,
    "pt-BR": 15.3, "es-ES": 16.2, "es-LA": 15.5, "el-GR": 18.2, "bg-BG": 15.5,
    "pl-PL": 13.7, "hu-HU": 15.2, "sv-SE": 15.1, "ru-RU": 17.0,
}
#: A language not in the table (e.g. an unfilled "{language}") is spoken at this rate.
DEFAULT_RATE = 17.0


def rate_seconds(text: str, language: str) -> float:
    """One hearing of `text` in `language`, in seconds, from SPEAKING_RATES."""
    return round(len(text) / SPEAKING_RATES.get(language, DEFAULT_RATE), 2)
