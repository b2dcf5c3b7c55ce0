"""One call, by hand: what `dialplan status` and `dialplan hangup` do.

    tracking = call_status(tracking_id, Connection(), redact)     # every leg
    print(status_text(tracking))                                   # or status_json
    ended = hang_up(tracking_id, Connection(), redact)             # PUT …/{messageId}

Both read the call's legs from `GET /voice/tracking/conversation/{trackingId}`
(`tracking.read_tracking`). `hang_up` then ends the call's own leg with
`PUT /voice/conversation/{messageId}`: `{"action": "hangup"}` when it is
InProgress, `{"action": "reject"}` while it is Initiated or Ringing, which
is all Routee accepts (`routee.CONTROL_ACTIONS`); a call that is Queued, has
ended, or is not known is refused with a sentence saying so.

Failures are `PlacingError`s, as for `dialplan call` (`setup`: the
credentials or the URLs must be fixed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import routee
from .client import (API_URL, AUTH_URL, ApiError, AuthError, ClientError, CredentialsError,
                     RouteeClient, Timeouts, TokenCache, load_credentials)
from .placing import PlacingError
from .redact import Redactor
from .tracking import Leg, Tracking, read_tracking


@dataclass(frozen=True)
class Connection:
    """Where Routee is and how long to wait for it: the options `dialplan
    call`, `status` and `hangup` share."""

    api_url: str | None = None
    auth_url: str | None = None
    cache_token: bool = False
    timeout: float = 30.0


def open_client(connection: Connection, redact: Redactor) -> RouteeClient:
    """A client with the user's credentials; `redact` learns the secret."""
    try:
        credentials = load_credentials()
        for secret in credentials.secrets():
            redact.add(secret)
        return RouteeClient(credentials, api_url=connection.api_url or API_URL,
                            auth_url=connection.auth_url or AUTH_URL,
                            timeouts=Timeouts(read=connection.timeout),
                            token_cache=TokenCache() if connection.cache_token else None,
                            redactor=redact)
    except CredentialsError as error:
        raise PlacingError(str(error), setup=True) from None


def call_status(tracking_id: str, connection: Connection, redact: Redactor) -> Tracking:
    """The call's legs, every page read."""
    with open_client(connection, redact) as client:
        return _read(client, tracking_id)


def _read(client: RouteeClient, tracking_id: str) -> Tracking:
    try:
        return read_tracking(client, tracking_id)
    except AuthError as error:
        raise PlacingError(error.developer_message, setup=True) from None
    except ApiError as error:
        if error.status == 404:
            raise PlacingError(f"Routee knows no call with trackingId {tracking_id} "
                               f"({error.describe()})") from None
        raise PlacingError(f"cannot read the call {tracking_id}: {error.describe()}") from None
    except ClientError as error:
        raise PlacingError(f"cannot read the call {tracking_id}: {error}") from None


# --- showing the legs ----------------------------------------------------------------------

def status_text(tracking: Tracking) -> str:
    """The call's legs for people, one block per leg."""
    status = tracking.status()
    lines = [f"trackingId {tracking.tracking_id}: "
             f"{status or 'no legs yet (Routee has not started the call)'}"]
    for number, leg in enumerate(tracking.legs, 1):
        lines.append(f"leg {number}: {leg.source or '?'} -> {leg.to or '?'}")
        rows = [("messageId", leg.message_id),
                ("status", (leg.status or "?") + (f" ({leg.status_date})" if leg.status_date
                                                  else "")),
                ("answeredBy", leg.answered_by or "-"),
                ("duration", "-" if leg.duration is None else f"{leg.duration:g} s"),
                ("price", "-" if leg.price is None else f"{leg.price:g}"),
                ("keys", leg.collected_tones or "-"),
                ("recordings", ", ".join(_recording(r) for r in leg.recordings) or "-")]
        lines += [f"  {name:<11} {value}" for name, value in rows]
    return "\n".join(lines) + "\n"


def status_json(tracking: Tracking) -> str:
    return json.dumps(tracking.as_json(), indent=2, ensure_ascii=False) + "\n"


def _recording(recording: Any) -> str:
    if isinstance(recording, dict):
        for key in ("recordingTrackingId", "trackingId", "id", "url"):
            if isinstance(recording.get(key), str):
                return recording[key]
    return recording if isinstance(recording, str) else json.dumps(recording, sort_keys=True)


# --- hanging up ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ended:
    """A leg Routee agreed to end: `action` is "hangup" or "reject"."""

    tracking_id: str
    leg: Leg
    action: str
    answer: dict[str, Any]

    def text(self) -> str:
        done = "hung up" if self.action == "hangup" else "rejected"
        return (f"{done} the call to {self.leg.to or '?'} (messageId {self.leg.message_id}; "
                f"it was {self.leg.status})\n")

    def as_json(self) -> str:
        return json.dumps({"trackingId": self.tracking_id, "messageId": self.leg.message_id,
                           "action": self.action, "statusBefore": self.leg.status,
                           "message": self.answer.get("message"),
                           "createdAt": self.answer.get("createdAt")},
                          indent=2, ensure_ascii=False) + "\n"


def action_for(status: str | None) -> str | None:
    """The action Routee accepts for a leg in `status`, if any."""
    for action, statuses in routee.CONTROL_ACTIONS.items():
        if status in statuses:
            return action
    return None


def hang_up(tracking_id: str, connection: Connection, redact: Redactor) -> Ended:
    """End a live call: hang it up when answered, reject it while it rings."""
    with open_client(connection, redact) as client:
        tracking = _read(client, tracking_id)
        leg = tracking.main()
        if leg is None:
            raise PlacingError(f"the call {tracking_id} has no legs yet (Routee has not "
                               "started it): nothing to hang up; try again in a moment")
        if leg.final:
            raise PlacingError(f"the call {tracking_id} already ended {leg.status}: nothing "
                               "to hang up")
        action = action_for(leg.status)
        if action is None:
            allowed = "; ".join(f"{a} while {' or '.join(s)}"
                                for a, s in routee.CONTROL_ACTIONS.items())
            raise PlacingError(f"the call {tracking_id} is {leg.status or 'in no known state'}: "
                               f"Routee accepts {allowed}; try again in a moment")
        try:
            answer = client.control_leg(leg.message_id, action)
        except AuthError as error:
            raise PlacingError(error.developer_message, setup=True) from None
        except ApiError as error:
            raise PlacingError(f"Routee did not {action} the call {tracking_id} "
                               f"({error.describe()}); it may have ended meanwhile: "
                               f"`dialplan status {tracking_id}` shows it") from None
        except ClientError as error:
            raise PlacingError(f"cannot {action} the call {tracking_id}: {error}") from None
    return Ended(tracking_id, leg, action, answer)


__all__ = ["Connection", "Ended", "action_for", "call_status", "hang_up", "open_client",
           "status_json", "status_text"]
