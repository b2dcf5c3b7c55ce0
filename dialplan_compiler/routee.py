"""Facts about Routee's Voice API that the checker and emitter build on.

Each fact is documented on docs.routee.net unless its comment says
otherwise; the project's ROUTEE notes keep the sources.
"""

#: The languages SAY speaks, exactly as Routee spells them.
LANGUAGES = ("en-US", "de-DE", "fr-FR", "it-IT", "pt-BR", "es-ES", "es-LA", "en-GB",
             "el-GR", "bg-BG", "pl-PL", "hu-HU", "sv-SE", "ru-RU")
GENDERS = ("male", "female")

MAX_TEXT_LENGTH = 1000        # SAY message.text, in characters
HANGUP_DELAY_RANGE = (1, 60)  # conversation hangupDelay, seconds
MAX_NUMERIC_SENDER = 16       # a numeric `from`, in characters
MAX_URL_LENGTH = 2048         # every URL field, in characters (assumed: Routee documents
                              # no limit; DIALPLAN_URL_LIMIT sets another for eventUrls)
MAX_DIGITS = 30               # COLLECT maxDigits: Routee's default, and its ceiling
EVENT_URL_DEADLINE_MS = 3000  # how long Routee waits for an eventUrl's answer

#: The verbs of a dial plan, as its JSON spells their `type`.
VERB_TYPES = ("SAY", "PLAY", "PAUSE", "COLLECT", "DIAL")

CALLBACK_STRATEGIES = {"change": "OnChange", "completion": "OnCompletion"}
MACHINE_STRATEGIES = {"hangup": "Hangup", "continue": "Continue"}
RECORDING_FORMATS = ("WAV", "MP3")

#: The statuses after which a call changes no more.
FINAL_STATUSES = ("Completed", "Busy", "NoAnswer", "Failed", "Unsent", "Terminated")
#: The statuses of a call on its way. `Unknown` is neither: Routee lists it
#: as intermediate now and as final in an older copy, so it means "not
#: known yet", and a follower gives up on it at its deadline.
ACTIVE_STATUSES = ("Queued", "Initiated", "Ringing", "InProgress")
UNKNOWN_STATUS = "Unknown"
#: Who answered a leg (`answeredBy`).
ANSWERED_BY = ("HUMAN", "MACHINE", "UNKNOWN")

#: PUT /voice/conversation/{messageId}: each action, with the leg statuses it is accepted in.
CONTROL_ACTIONS = {"hangup": ("InProgress",), "reject": ("Initiated", "Ringing")}
