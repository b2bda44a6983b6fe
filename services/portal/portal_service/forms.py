"""The portal's forms (flask-wtf: every POST form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    """User name (NIP or login name) and password."""

    username = StringField(
        _l("NIP atau nama pengguna"), validators=[DataRequired(), Length(max=64)]
    )
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (logout, approve, request ...)."""


class RejectForm(FlaskForm):
    """Rejecting a request needs a reason (the API refuses an empty one)."""

    reason = StringField(_l("Alasan"), validators=[Optional(), Length(max=1000)])


class WithdrawForm(FlaskForm):
    """Withdrawing from a class: the reason is optional (the API keeps it)."""

    reason = StringField(
        _l("Alasan (boleh dikosongkan)"), validators=[Optional(), Length(max=1000)]
    )


class ModuleUploadForm(FlaskForm):
    """A trainer's module: a file and an optional title."""

    title = StringField(_l("Judul"), validators=[Optional(), Length(max=200)])
    file = FileField(_l("Berkas (paket SCORM .zip, PDF atau MP4)"), validators=[FileRequired()])


def page_number(raw: str | None) -> int:
    """The `page` query argument as a positive int (bad values mean page 1)."""
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


class ActivationForm(FlaskForm):
    """First password with the activation code from the printed sheet."""

    username = StringField(
        _l("NIP atau nama pengguna"), validators=[DataRequired(), Length(max=64)]
    )
    code = StringField(_l("Kode aktivasi"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[DataRequired(), EqualTo("password", message=_l("Kedua kata sandi berbeda."))],
    )


class PasswordChangeForm(FlaskForm):
    """The current password and a new one, twice."""

    old_password = PasswordField(
        _l("Kata sandi sekarang"), validators=[DataRequired(), Length(max=256)]
    )
    new_password = PasswordField(
        _l("Kata sandi baru"), validators=[DataRequired(), Length(max=256)]
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Kedua kata sandi berbeda.")),
        ],
    )


class ForgotForm(FlaskForm):
    """Who forgot their password."""

    username = StringField(
        _l("NIP atau nama pengguna"), validators=[DataRequired(), Length(max=64)]
    )


class ResetForm(FlaskForm):
    """The code from the mail and a new password, twice."""

    username = StringField(
        _l("NIP atau nama pengguna"), validators=[DataRequired(), Length(max=64)]
    )
    code = StringField(_l("Kode dari surel"), validators=[DataRequired(), Length(max=40)])
    new_password = PasswordField(
        _l("Kata sandi baru"), validators=[DataRequired(), Length(max=256)]
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Kedua kata sandi berbeda.")),
        ],
    )


class UnitActivationForm(FlaskForm):
    """A unit whose people get activation codes, and how to hand them out."""

    unit_code = StringField(_l("Kode unit"), validators=[DataRequired(), Length(max=50)])
