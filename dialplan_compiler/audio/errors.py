"""The one error the audio layer raises for a missing optional part."""

from __future__ import annotations

from ..errors import DialplanError

#: What to run to get speech, as the message (and a CLI) tells it.
INSTALL = "pip install '.[audio]'"


class AudioUnavailable(DialplanError):
    """Speech cannot be rendered on this installation: the `audio` extra
    (espeakng-loader, which ships espeak-ng) is not installed, or its library
    does not load. The message is meant to be shown as it is, e.g. by a CLI
    that then exits 2; tones, silence and WAV files do not need the extra."""
