"""Who may change what. Enforced by the library functions that change data, so a hidden
button is a convenience, never the protection.

viewer  (executives): read only
analyst: upload data, define metrics and studies, edit value assumptions, repair interrupted
         uploads
admin:   all of the above, plus delete uploads, load the demo (it replaces studies) and
         manage users

Every function that writes calls `authorize` (through `Store.authorize` or the catalog's
own check) before its first write, for every action it will take, so a refused call leaves
stored data exactly as it was.
"""

from __future__ import annotations

from impact.errors import PermissionDenied
from impact.vocabulary import Role, check_choice

RANK = {"viewer": 0, "analyst": 1, "admin": 2}
NEEDS: dict[str, Role] = {
    "upload": "analyst",
    "define_metric": "analyst",
    "define_study": "analyst",
    "edit_assumption": "analyst",
    "delete_upload": "admin",
    "manage_study": "admin",
    "manage_users": "admin",
    "repair": "analyst",
}
WHAT = {
    "upload": "upload data",
    "define_metric": "define metrics",
    "define_study": "define or edit studies",
    "edit_assumption": "edit value assumptions",
    "delete_upload": "delete uploads",
    "manage_study": "manage studies",
    "manage_users": "manage users",
    "repair": "repair the catalog after an interrupted upload",
}


def can(role: str, action: str) -> bool:
    check_choice("role", role, Role)
    return RANK[role] >= RANK[NEEDS[action]]


def authorize(user: str, role: str, action: str) -> None:
    if not can(role, action):
        raise PermissionDenied(
            f"{user} has the {role} role and cannot {WHAT[action]}; that needs the "
            f"{NEEDS[action]} role. Ask an admin to change your role."
        )


def authorize_all(user: str, role: str, actions: tuple[str, ...]) -> None:
    """Refuse before anything is written if any of `actions` is not allowed."""
    for action in actions:
        authorize(user, role, action)


def role_for(
    email: str | None,
    groups: list[str],
    *,
    roles: dict[str, str],
    group_roles: dict[str, str],
    default: str = "viewer",
) -> str:
    """The highest role the identity's e-mail or any of its groups maps to."""
    found = [roles.get((email or "").lower(), default)]
    found += [group_roles[g] for g in groups if g in group_roles]
    for r in found:
        check_choice("role", r, Role)
    return max(found, key=RANK.__getitem__)
