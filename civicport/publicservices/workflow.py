"""The dossier workflow: which action may move a dossier from which status, and who may do it.

The table is the single source of the one-stop rules (services.md §1.4). Actions in
`actions.py` ask `transition_check` for the target status and `permission_check` for the
actor before changing anything; the API maps `TransitionError` and `ConflictError` to HTTP 409
and `ActionDenied` to 403.

Who acts (role at which agency):

* officers act at the dossier's CURRENT agency (the one holding it during liên thông; an
  officer of a parent agency covers its units, an agency administrator every role there).
  Approval, stop, refusal and withdrawal send the dossier back to the receiving agency, so
  the result is returned by that agency's one-stop desk;
* citizen actions (`submit`, `draft_save`, `supply`, `withdraw`, `pay_fee`, `rate`) belong to
  the dossier's applicant. Papers, withdrawal letters and cash also arrive at the desk (a
  walk-in applicant may have no account at all), so the receiving agency's receiver may
  record a supply, withdrawal or payment on the applicant's behalf.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicport.core.access import can_act
from civicport.core.models import Role
from civicport.publicservices.models import Dossier, DossierStatus

S = DossierStatus

# Statuses of a dossier still being handled (the clock may run).
OPEN_STATUSES = frozenset({S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE})
# Statuses where handling has ended (finished_at is set).
FINISHED_STATUSES = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.DONE, S.RETURNED})

# Who acts: "applicant" (the dossier's citizen), or an officer role.
APPLICANT = "applicant"
# Where the officer's role must be held.
CURRENT_AGENCY = "current"
RECEIVING_AGENCY = "receiving"

# Readable action names for messages.
ACTION_LABELS = {
    "draft_save": gettext_lazy("save the draft"),
    "submit": gettext_lazy("submit"),
    "register": gettext_lazy("register at the one-stop desk"),
    "receive": gettext_lazy("receive"),
    "refuse": gettext_lazy("refuse"),
    "process": gettext_lazy("start processing"),
    "forward": gettext_lazy("forward"),
    "request_supplement": gettext_lazy("request a supplement"),
    "supply": gettext_lazy("supply documents"),
    "request_fee": gettext_lazy("request the fee"),
    "pay_fee": gettext_lazy("pay the fee"),
    "approve": gettext_lazy("approve"),
    "stop": gettext_lazy("stop processing"),
    "withdraw": gettext_lazy("withdraw"),
    "return": gettext_lazy("return the result"),
    "apologize": gettext_lazy("issue an apology and new appointment"),
    "rate": gettext_lazy("rate"),
}


@dataclass(frozen=True)
class Transition:
    """An action: the statuses it starts from, the status it leads to (None: unchanged),
    who may do it (`actor`: a Role or APPLICANT) and where (`agency`)."""

    sources: frozenset
    target: str | None
    actor: str
    agency: str = CURRENT_AGENCY
    # Officer role that may act for an applicant without an account (walk-in dossiers).
    on_behalf: str | None = None


TRANSITIONS: dict[str, Transition] = {
    "draft_save": Transition(frozenset({S.DRAFT}), None, APPLICANT),
    "submit": Transition(frozenset({S.DRAFT}), S.NEW, APPLICANT),
    "register": Transition(frozenset({S.DRAFT}), S.RECEIVED, Role.RECEIVER),
    "receive": Transition(frozenset({S.NEW}), S.RECEIVED, Role.RECEIVER),
    "refuse": Transition(frozenset({S.NEW}), S.REFUSED, Role.RECEIVER),
    "process": Transition(frozenset({S.RECEIVED}), S.PROCESSING, Role.PROCESSOR),
    "forward": Transition(frozenset({S.PROCESSING}), S.PROCESSING, Role.PROCESSOR),
    "request_supplement": Transition(frozenset({S.PROCESSING}), S.SUPPLEMENT, Role.PROCESSOR),
    "supply": Transition(
        frozenset({S.SUPPLEMENT}), S.PROCESSING, APPLICANT, RECEIVING_AGENCY, Role.RECEIVER
    ),
    "request_fee": Transition(frozenset({S.PROCESSING}), S.WAITING_FEE, Role.PROCESSOR),
    "pay_fee": Transition(
        frozenset({S.WAITING_FEE}), S.PROCESSING, APPLICANT, RECEIVING_AGENCY, Role.RECEIVER
    ),
    "approve": Transition(frozenset({S.PROCESSING}), S.DONE, Role.APPROVER),
    "stop": Transition(frozenset({S.PROCESSING, S.SUPPLEMENT}), S.STOPPED, Role.APPROVER),
    "withdraw": Transition(
        frozenset(OPEN_STATUSES), S.WITHDRAWN, APPLICANT, RECEIVING_AGENCY, Role.RECEIVER
    ),
    "return": Transition(frozenset({S.DONE}), S.RETURNED, Role.RECEIVER),
    # Not status changes, but changes all the same: same locking, event and audit.
    "apologize": Transition(
        frozenset({S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.WAITING_FEE}), None, Role.APPROVER
    ),
    "rate": Transition(frozenset({S.DONE, S.RETURNED}), None, APPLICANT),
}


class WorkflowError(Exception):
    """Base of the workflow's refusals; `code` is stable for APIs, `message` is translated."""

    code = "workflow_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionError(WorkflowError):
    """The action is not allowed from the dossier's current status (HTTP 409)."""

    code = "illegal_transition"


class ConflictError(WorkflowError):
    """Someone changed the dossier since the caller read it (HTTP 409): reload and retry."""

    code = "version_conflict"

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _("Someone else has changed this dossier in the meantime. Reload it and try again.")
        )


class ActionDenied(WorkflowError, PermissionDenied):
    """The user may not take this action on this dossier (HTTP 403)."""

    code = "forbidden"


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ValueError(f"unknown dossier action {action!r}") from None


def transition_check(dossier: Dossier, action: str) -> str:
    """The status `action` leads to from the dossier's status; TransitionError if illegal."""
    transition = transition_for(action)
    if dossier.status not in transition.sources:
        raise TransitionError(
            _("A dossier with status “%(status)s” cannot be changed by the action “%(action)s”.")
            % {"status": status_label(dossier.status), "action": ACTION_LABELS[action]}
        )
    return transition.target or dossier.status


def actions_allowed(dossier: Dossier) -> list[str]:
    """Actions legal from the dossier's status (ignoring who asks), for buttons and docs."""
    return [name for name, t in TRANSITIONS.items() if dossier.status in t.sources]


def may_act(user, dossier: Dossier, action: str) -> bool:
    """Whether `user` holds what `action` needs on `dossier` (status not considered)."""
    transition = transition_for(action)
    agency_id = (
        dossier.agency_id if transition.agency == RECEIVING_AGENCY else dossier.current_agency_id
    )
    if transition.actor == APPLICANT:
        if _is_applicant(user, dossier):
            return True
        return bool(transition.on_behalf and can_act(user, agency_id, transition.on_behalf))
    return can_act(user, agency_id, transition.actor)


def permission_check(user, dossier: Dossier, action: str) -> None:
    """ActionDenied unless `user` may take `action` on `dossier`."""
    if not may_act(user, dossier, action):
        raise action_denied(action)


def action_denied(action: str) -> ActionDenied:
    """The refusal for a user lacking the role or ownership `action` needs."""
    return ActionDenied(
        _("You are not allowed to do this on this dossier: %(action)s.")
        % {"action": ACTION_LABELS[action]}
    )


def status_label(status: str) -> str:
    try:
        return str(DossierStatus(status).label)
    except ValueError:
        return status


def _is_applicant(user, dossier: Dossier) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and dossier.applicant_id is not None
        and dossier.applicant_id == user.pk
    )
