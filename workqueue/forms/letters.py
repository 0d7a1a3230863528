"""Letter forms: request, edit the draft, finalize, e-mail preference, and template admin
(the Jinja source is checked by rendering it before it is saved)."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from workqueue.models import EmailMode
from workqueue.services.letters import CATEGORY_LABELS, check_template_source


def _optional_id(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


def payer_choices(payers) -> list[SelectChoice]:
    return [SelectChoice("", "Every payer")] + [SelectChoice(str(p.id), p.name) for p in payers]


class LetterRequestForm(FlaskForm):
    finalize = BooleanField("Finalize to PDF as soon as it is generated")


class VersionedForm(FlaskForm):
    version = HiddenField(validators=[InputRequired()])


class DraftForm(VersionedForm):
    body = TextAreaField("Letter", validators=[DataRequired(message="The letter is empty."),
                                               Length(max=60000)],
                         render_kw={"rows": 30, "spellcheck": "true"})


class EmailSettingsForm(FlaskForm):
    email_mode = RadioField("E-mail me", choices=[
        SelectChoice(EmailMode.IMMEDIATE.value, "for each notification"),
        SelectChoice(EmailMode.DIGEST.value, "once a day, a digest of what is unread"),
        SelectChoice(EmailMode.OFF.value, "never (in-app only)"),
    ], validators=[InputRequired()])


class LetterTemplateForm(FlaskForm):
    category = SelectField("Denial category",
                           choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()])
    payer_id = SelectField("Payer", coerce=_optional_id)
    appeal_level = IntegerField("Appeal level", validators=[Optional(), NumberRange(1, 5)],
                                description="Empty: every level.")
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    body = TextAreaField("Template (Jinja)", validators=[DataRequired()],
                         render_kw={"rows": 28, "spellcheck": "false"},
                         description='Start with {% extends "frame" %} to keep the standard '
                                     "header, facts, enclosures and signature.")
    is_active = BooleanField("Active", default=True)

    def validate_body(self, field) -> None:
        problem = check_template_source(field.data or "")
        if problem:
            raise ValidationError(problem)
