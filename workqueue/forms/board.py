"""Supervisor board forms: bulk assignment from a queue and a queue's routing rule."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from workqueue.forms.admin import MultiCheckboxField, label, options
from workqueue.models import AssignmentStrategy
from workqueue.services.queues import MAX_BULK


class BulkAssignForm(FlaskForm):
    queue_id = SelectField("From queue", coerce=int, choices=[], validators=[DataRequired()])
    count = IntegerField("How many (highest priority first)", default=10, validators=[
        InputRequired("Say how many items."),
        NumberRange(1, MAX_BULK, f"Between 1 and {MAX_BULK} items at a time.")])
    assignee_id = SelectField("Assign to", coerce=int, choices=[], validators=[DataRequired()])


class RoutingForm(FlaskForm):
    """One queue's auto-assignment rule; each queue's form has its own prefix on the board."""

    strategy = SelectField("Auto-assignment", choices=options(
        (s.value, label(s.value)) for s in AssignmentStrategy))
    is_skill_matched = BooleanField("Match skills (payer, category)")
    member_ids = MultiCheckboxField("Members", coerce=int, choices=[])
