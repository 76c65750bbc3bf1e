"""The web doors: blueprints, the extensions they share, error pages and security headers."""

from __future__ import annotations

from flask import Flask, g, render_template, request, url_for
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect

from pressroom import clock, formatting
from pressroom.i18n import _l

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


def select_locale() -> str:
    """Indonesian unless the visitor chose English (cookie) or their profile says so."""
    chosen = request.cookies.get("lang") if request else None
    if chosen in ("id", "en"):
        return chosen
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale in ("id", "en"):
        return current_user.locale
    return "id"


def init_app(app: Flask) -> None:
    from pressroom.web import admin, auth, directory_import, journalists, main, posts, public, security

    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Jakarta")
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    security.init_app(app)

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(journalists.bp)
    app.register_blueprint(directory_import.bp)
    app.register_blueprint(posts.bp)
    from pressroom.web import api as api_web
    from pressroom.web import datasets as datasets_web
    app.register_blueprint(datasets_web.bp)
    app.register_blueprint(api_web.bp)
    from pressroom.web.data_public import bp as data_public_bp
    app.register_blueprint(data_public_bp)
    from pressroom.web.newsroom import bp as newsroom_bp
    app.register_blueprint(newsroom_bp)
    from pressroom.web.press_admin import bp as press_admin_bp
    from pressroom.web.webhooks import bp as webhooks_bp
    app.register_blueprint(press_admin_bp)
    app.register_blueprint(webhooks_bp)
    from pressroom.web.press_self import bp as press_self_bp
    app.register_blueprint(press_self_bp)
    from pressroom.web.releases import bp as releases_bp
    app.register_blueprint(releases_bp)
    from pressroom.web.lapor import bp as lapor_bp
    app.register_blueprint(lapor_bp)
    from pressroom.web.complaints_staff import bp as complaints_staff_bp
    app.register_blueprint(complaints_staff_bp)
    from pressroom.web.lapor_stats import bp as lapor_stats_bp
    from pressroom.web.open311 import bp as open311_bp
    app.register_blueprint(lapor_stats_bp)
    app.register_blueprint(open311_bp)
    from pressroom.web.complaints_admin import bp as complaints_admin_bp
    app.register_blueprint(complaints_admin_bp)
    security.register_token_endpoints(app)

    @app.context_processor
    def _template_globals():
        from flask_babel import get_locale
        from flask_login import current_user

        from pressroom.services.policy import can

        def user_can(action, obj=None):
            return can(current_user, action, obj)

        def page_url(number: int) -> str:
            # The view's own arguments win over a query argument of the same name (?opd_code=…).
            args = {**request.args.to_dict(), **(request.view_args or {}), "page": number}
            return url_for(request.endpoint, **args)

        return {
            "can": user_can,
            "page_url": page_url,
            "lang": str(get_locale()),
            "site_name": app.config["SITE_NAME"],
            "now": clock.now,
        }

    @app.template_filter("wib")
    def _wib(value, with_date=True):
        from flask_babel import get_locale

        return formatting.wib(value, str(get_locale()), with_date=with_date)

    @app.template_filter("day")
    def _day(value):
        from flask_babel import get_locale

        return formatting.day(value, str(get_locale()))

    @app.template_filter("number")
    def _number(value, decimals=None):
        from flask_babel import get_locale

        return formatting.number(value, str(get_locale()), decimals=decimals)

    @app.template_filter("markdown")
    def _markdown(value):
        """Markdown from a person, rendered and sanitised (press/markdown.py)."""
        from markupsafe import Markup

        from pressroom.press.markdown import render_body

        return Markup(render_body(value))  # render_body sanitises with nh3

    def _error(template: str, status: int, message=None):
        g.error_message = message
        return render_template(f"errors/{template}.html", message=message), status

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc):
        return _error(
            "400", 400,
            _l("This form has expired or did not come from Pressroom. Nothing was changed; "
               "please go back, reload the page and try again."),
        )

    @app.errorhandler(400)
    def _bad_request(_exc):
        return _error("400", 400, _l("The request could not be understood. Nothing was changed."))

    @app.errorhandler(403)
    def _forbidden(_exc):
        return _error("403", 403)

    @app.errorhandler(404)
    def _not_found(_exc):
        return _error("404", 404)

    @app.errorhandler(413)
    def _too_large(_exc):
        return _error(
            "400", 413,
            _l("The upload is larger than the limit of %(limit)s MB. Nothing was saved.",
               limit=app.config["MAX_UPLOAD_MB"]),
        )

    @app.errorhandler(500)
    def _server_error(_exc):
        from pressroom import db

        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the error page must render whatever happened
            pass
        return _error("500", 500)
