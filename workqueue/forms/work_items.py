"""Forms of the work-item page. Each carries the item version it was rendered from, so a save
based on an older read is refused instead of overwriting someone else's change."""

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from workqueue.domain.identifiers import MAX_ID


class ItemForm(FlaskForm):
    """Base: the version the user saw and the last timeline entry on their page."""

    version = HiddenField(validators=[InputRequired()])
    seen_activity = HiddenField(default="0")

    def validate_version(self, field) -> None:
        if not _is_id(field.data):
            raise ValidationError("The page is missing the item version; reload it.")

    def validate_seen_activity(self, field) -> None:
        if field.data not in (None, "") and not _is_id(field.data):
            raise ValidationError("The page is damaged; reload it.")


def _is_id(value) -> bool:
    text = str(value or "")
    return text.isdigit() and int(text) <= MAX_ID


class ItemActionForm(ItemForm):
    """Buttons that post nothing but the version: assign to me, release."""


class NoteForm(ItemForm):
    body = TextAreaField("Note", validators=[DataRequired(message="Write the note first."),
                                             Length(max=5000)])


class CallLogForm(ItemForm):
    party = StringField("Who was called", validators=[
        DataRequired(message="Say who you called."), Length(max=200)])
    reference = StringField("Reference number", validators=[Optional(), Length(max=80)])
    outcome = TextAreaField("Outcome", validators=[
        DataRequired(message="Say what came of the call."), Length(max=2000)])
    next_step = StringField("Next step", validators=[Optional(), Length(max=500)])
    follow_up_on = DateField("Follow up on", validators=[Optional()])


class TransitionForm(ItemForm):
    target = HiddenField(validators=[DataRequired()])
    note = StringField("Note (optional)", validators=[Optional(), Length(max=2000)])


class PendForm(ItemForm):
    until = DateField("Pend until", validators=[DataRequired(message="Pick a return date.")])
    note = StringField("Why (optional)", validators=[Optional(), Length(max=500)])


class AssignForm(ItemForm):
    assignee_id = SelectField("Assign to", coerce=int, choices=[],
                              validators=[InputRequired(message="Choose a person."),
                                          NumberRange(1, MAX_ID, message="Choose a person.")])


class PriorityForm(ItemForm):
    priority_override = IntegerField("Priority boost (days)", validators=[
        InputRequired(), NumberRange(min=-365, max=365)])


class MissedDeadlineForm(ItemForm):
    """The decision on an item whose deadline passed; the pressed button names the decision."""

    decision = HiddenField(validators=[DataRequired(message="Choose a decision.")])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
