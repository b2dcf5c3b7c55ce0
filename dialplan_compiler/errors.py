"""The base of every exception dialplan raises on purpose.

`except DialplanError` catches what the package means to tell its caller
(a configuration, an input or an output that cannot be used, credentials
Routee refuses, a script or a scenario that does not compile, …), and
nothing else: whatever is not a DialplanError is a bug in dialplan.

The specific errors live beside the code that raises them:

    DialplanError
    ├── config.ConfigError              a configuration file that cannot be used
    ├── files.ReadError   (also OSError) an input that cannot be read
    ├── files.WriteError  (also OSError) an output that cannot be written
    ├── calls.client.ClientError        talking to Routee
    │   ├── CredentialsError            missing or unusable credentials, or an unsafe URL
    │   ├── NotSent / MaybeSent         a request that did not get through / may have
    │   └── ApiError                    Routee answered with an error
    │       └── AuthError               Routee refused the credentials
    ├── calls.campaign.Interrupted      the user asked to stop
    ├── calls.campaign.GaveUp           no request got through after every attempt
    ├── calls.campaign.RecipientsError  a recipients CSV that cannot be used
    ├── calls.journal.JournalError      a campaign journal that cannot be opened
    ├── calls.placing.PlacingError      a call or campaign that cannot be set up or run
    ├── calls.placing.ScriptRefused     a script `dialplan call` refuses to place
    ├── menus.bundles.ScriptErrors      scripts that do not compile (for menus)
    ├── menus.bundles.ScriptNameClash   two scripts with one name (also ValueError)
    ├── decompiling.TargetError         an -o that cannot take the files decompiled
    ├── menus.simulate.SimulationError  a script that does not compile (to simulate)
    ├── menus.scenarios.ScenarioError   a scenario file that cannot be used
    ├── menus.server.ListenError        an address the server cannot listen on
    └── audio.errors.AudioUnavailable   speech cannot be rendered on this installation

This module imports nothing: every module may import it, the check path too.
"""

from __future__ import annotations


class DialplanError(Exception):
    """Something dialplan reports on purpose; its message is meant to be shown."""


__all__ = ["DialplanError"]
