"""The ``pressroom`` command: db upgrade, create-user, seed-demo, worker, serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app(*_args, **_kwargs):
    from pressroom import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """Pressroom: the communications desk of a provincial government."""


def register_commands(app) -> None:
    """Commands are declared on ``main``; ``flask --app pressroom`` sees them too."""
    for command in (db_group, create_user_command, seed_demo_command, worker_command, serve_command,
                    rotate_keys_command):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations inside the package)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from pressroom.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION."""
    from pressroom.migrate import downgrade

    downgrade(current_app.config["DATABASE_URL"], revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    from alembic import command

    from pressroom.migrate import alembic_config

    command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=True)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--opd", "opd_code", required=True, help="OPD code, e.g. DISKOMINFO")
@click.option("--role", type=click.Choice(["admin", "walidata", "viewer", "editor", "approver"]),
              required=True)
@click.option("--position", default="Staf", show_default=True)
@click.option("--level", type=click.Choice(["staf", "kabid", "kepala"]), default="staf",
              show_default=True)
@click.password_option()
@with_appcontext
def create_user_command(email, full_name, opd_code, role, position, level, password) -> None:
    """Create a staff account with one membership (e.g. the first admin)."""
    from sqlalchemy import select

    from pressroom import db
    from pressroom.models import Opd
    from pressroom.services import ValidationError, users

    session = db.get_db().new_session()
    try:
        opd = session.scalar(select(Opd).where(Opd.code == opd_code.upper()))
        if opd is None:
            raise click.ClickException(f"no OPD with code {opd_code!r}; run seed-demo or add it first")
        user = users.create_user(session, None, email=email, full_name=full_name, password=password,
                                 must_change_password=False)
        users.add_membership(session, user, user, opd=opd, role=role, position_title=position,
                             level=level)
        session.commit()
    except ValidationError as exc:
        session.rollback()
        raise click.ClickException("; ".join(str(m) for m in exc.errors.values())) from None
    finally:
        session.close()
    click.echo(f"created {email} ({role} in {opd.code})")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo OPDs and users (safe to run again)."""
    from pressroom.demo import DEMO_PASSWORD, seed_demo

    created = seed_demo(current_app)
    click.echo(f"demo data ready ({created} new records). Demo logins, password {DEMO_PASSWORD!r}:")
    from pressroom.demo import demo_logins

    for email, description in demo_logins():
        click.echo(f"  {email:<34} {description}")
    click.echo("Admins and approvers set up two-factor (any TOTP app) at their first login.")


@click.command("rotate-keys")
@click.option("--check", is_flag=True, help="Only report; change nothing.")
@with_appcontext
def rotate_keys_command(check: bool) -> None:
    """Re-encrypt stored secrets under the newest PRESSROOM_ENCRYPTION_KEY (then drop old keys)."""
    from pressroom.services import keys

    crypto = current_app.extensions["crypto"]
    session = current_app.extensions["db"].new_session()
    try:
        reports = keys.rotate(session, crypto, dry_run=check)
        unreadable = [item for r in reports.values() for item in r.unreadable]
        if not check and not unreadable:
            session.commit()
    finally:
        session.close()
    for name, r in reports.items():
        verb = "to re-encrypt" if check else "re-encrypted"
        click.echo(f"{name}: {r.total} values, {r.current} under the newest key, {r.rotated} {verb}")
    if unreadable:
        click.echo(f"cannot decrypt {', '.join(unreadable)} with any configured key: a key was dropped too "
                   "early; put it back at the end of PRESSROOM_ENCRYPTION_KEY. Nothing was changed.",
                   err=True)
        raise SystemExit(1)
    if not check and crypto.key_count > 1:
        click.echo("Every value is under the newest key: the older keys can now be removed.")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the scheduler process (ticks: dispatch, polling, purges). One per machine or more."""
    from jobs.scheduler import run_worker

    run_worker(current_app._get_current_object())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--with-worker", is_flag=True, help="Also start `pressroom worker` (single machine).")
def serve_command(host: str, port: int, workers: int, with_worker: bool) -> None:
    """Serve the web app with gunicorn (and optionally the worker beside it)."""
    worker = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "pressroom.cli", "worker"])
    try:
        from gunicorn.app.wsgiapp import run

        sys.argv = ["gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
                    "--threads", "4", "--access-logfile", "-", "pressroom.wsgi:app"]
        run()
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)


def _main() -> None:
    os.environ.setdefault("FLASK_RUN_FROM_CLI", "false")
    main()


if __name__ == "__main__":
    _main()
