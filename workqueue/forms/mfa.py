"""Forms of the TOTP second factor: a code from the authenticator app, or a recovery code."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp


class TotpCodeForm(FlaskForm):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired(message="Type the 6-digit code."),
                    Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="The code is 6 digits.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                   "pattern": r"[0-9 ]*", "maxlength": 7, "autofocus": True,
                   "spellcheck": "false"},
    )


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        validators=[DataRequired(message="Type one of your recovery codes."), Length(max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
                   "autofocus": True},
    )
