"""Which espeak-ng voice speaks each of Routee's languages in a preview.

The voices are espeak-ng's, as shipped in espeakng-loader's espeak-ng-data
(its lang/ folder): they stand in for Routee's own text-to-speech voices,
which only a real call can play. They say the same words in the same
language, but neither sound nor timing is Routee's.
"""

from __future__ import annotations

#: Routee's language → the espeak-ng language that selects the voice (as in
#: espeak-ng-data/lang/, whose voice file is named in the comment).
VOICES: dict[str, str] = {
    "en-US": "en-us",    # gmw/en-US, English (America)
    "de-DE": "de",       # gmw/de, German
    "fr-FR": "fr-fr",    # roa/fr, French (France)
    "it-IT": "it",       # roa/it, Italian
    "pt-BR": "pt-br",    # roa/pt-BR, Portuguese (Brazil)
    "es-ES": "es",       # roa/es, Spanish (Spain)
    "es-LA": "es-419",   # roa/es-419, Spanish (Latin America)
    "en-GB": "en-gb",    # gmw/en, English (Great Britain)
    "el-GR": "el",       # grk/el, Greek
    "bg-BG": "bg",       # zls/bg, Bulgarian
    "pl-PL": "pl",       # zlw/pl, Polish
    "hu-HU": "hu",       # urj/hu, Hungarian
    "sv-SE": "sv",       # gmq/sv, Swedish
    "ru-RU": "ru",       # zle/ru, Russian
}

#: Routee's genders (a SAY may give none: the voice's own, male in espeak-ng).
GENDERS = ("male", "female")
