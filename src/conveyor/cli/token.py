"""``conveyor token create|list|revoke`` — against the store this command opens."""

from __future__ import annotations

import argparse

from conveyor.cli.common import ago, open_service, user


def create(args: argparse.Namespace) -> int:
    name = args.name or f"{args.role} token for {user()}"
    token_id, token = open_service().create_token(name, args.role)
    print(token)
    import sys

    print(f"token {token_id} ({args.role}, {name!r}): shown once, store it now", file=sys.stderr)
    return 0


def list_tokens(args: argparse.Namespace) -> int:
    for t in open_service().tokens():
        state = "revoked" if t["revoked_at"] else f"last used {ago(t['last_used_at'])}"
        print(f"{t['id']:>4}  {t['role']:<9} {t['name']}  ({state})")
    return 0


def revoke(args: argparse.Namespace) -> int:
    open_service().revoke_token(args.token_id)
    print(f"token {args.token_id} revoked")
    return 0
