"""The portal's forms (flask-wtf: every POST form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    """User name (NIP or login name) and password."""

    username = StringField(
        _l("NIP atau nama pengguna"), validators=[DataRequired(), Length(max=64)]
    )
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (logout, approve, request ...)."""


class RejectForm(FlaskForm):
    """Rejecting a request needs a reason."""

    reason = StringField(_l("Alasan"), validators=[Optional(), Length(max=500)])


class ModuleUploadForm(FlaskForm):
    """A trainer's module: a file and an optional title."""

    title = StringField(_l("Judul"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("Berkas (paket SCORM .zip, PDF atau MP4)"), validators=[FileRequired()])


RATINGS = [(str(i), str(i)) for i in range(1, 6)]


class ImpactEvaluationForm(FlaskForm):
    """The supervisor's evaluation of behaviour change and impact on work."""

    behaviour_rating = SelectField(
        _l("Perubahan perilaku (1 = tidak ada, 5 = sangat nyata)"),
        choices=RATINGS,
        validators=[DataRequired()],
    )
    impact_rating = SelectField(
        _l("Dampak pada pekerjaan (1 = tidak ada, 5 = sangat besar)"),
        choices=RATINGS,
        validators=[DataRequired()],
    )
    evidence = TextAreaField(
        _l("Bukti atau contoh penerapan"), validators=[Optional(), Length(max=4000)]
    )


def page_number(raw: str | None) -> int:
    """The `page` query argument as a positive int (bad values mean page 1)."""
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1
