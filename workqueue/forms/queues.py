"""Worklist forms: the filter bar (GET), saved views, and supervisors' bulk actions."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from workqueue.domain.identifiers import MAX_ID
from workqueue.domain.rules import AGING_BUCKETS
from workqueue.domain.status import WorkItemKind, WorkItemStatus

SORT_CHOICES = ("priority", "due", "deadline", "amount", "created", "status", "kind",
                "service_date", "id", "payer", "assignee", "patient")
PAGE_SIZES = (10, 25, 50, 100, 200)


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def options(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects, not (value, label) tuples."""
    return [SelectChoice(str(value), label) for value, label in pairs]


_KINDS = [("", "Any kind")] + [(k.value, _label(k.value)) for k in WorkItemKind]
_STATUSES = [("", "Any status")] + [(s.value, _label(s.value)) for s in WorkItemStatus]
_ASSIGNEES = [("", "Anyone"), ("me", "Me"), ("none", "Unassigned")]
_AGES = [("", "Any age")] + [(label, f"{label} days") for _, _, label in AGING_BUCKETS]
_PENDED = [("active", "Active only"), ("pended", "Pended only"), ("all", "Active and pended")]
# Items whose deadline passed wait in their own view ("missed"), out of the working list.
DEADLINE_VIEWS = {"live": False, "missed": True, "all": None}
_DEADLINES = [("live", "Deadline ahead"), ("missed", "Deadline missed"), ("all", "Any deadline")]
_DIRECTIONS = [("", "Default"), ("asc", "Ascending"), ("desc", "Descending")]


class WorklistFilterForm(FlaskForm):
    """The worklist's filter bar; read from the query string so links and bookmarks work."""

    class Meta:
        csrf = False  # a GET that changes nothing

    kind = SelectField("Kind", choices=options(_KINDS), validators=[Optional()])
    status = SelectField("Status", choices=options(_STATUSES), validators=[Optional()])
    payer = SelectField("Payer", choices=options([("", "Any payer")]), validators=[Optional()])
    assignee = SelectField("Assignee", choices=options(_ASSIGNEES), validators=[Optional()])
    due_from = DateField("Due from", validators=[Optional()])
    due_to = DateField("Due to", validators=[Optional()])
    aging = SelectField("Age", choices=options(_AGES), validators=[Optional()])
    amount_min = DecimalField("Min $", places=2, validators=[Optional(), NumberRange(min=0)])
    amount_max = DecimalField("Max $", places=2, validators=[Optional(), NumberRange(min=0)])
    pended = SelectField("Pended", choices=options(_PENDED), default="active",
                         validators=[Optional()])
    coding = BooleanField("Coding errors only", validators=[Optional()])
    deadline = SelectField("Deadline", choices=options(_DEADLINES), default="live",
                           validators=[Optional()])
    sort = SelectField("Sort", choices=options((s, _label(s)) for s in SORT_CHOICES),
                       default="priority", validators=[Optional()])
    dir = SelectField("Direction", choices=options(_DIRECTIONS), validators=[Optional()])
    per_page = SelectField("Rows", choices=options((n, str(n)) for n in PAGE_SIZES),
                           default="50", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    def set_choices(self, payers, users) -> None:
        self.payer.choices = options([("", "Any payer")] + [(p.id, p.name) for p in payers])
        self.assignee.choices = options(_ASSIGNEES + [(u.id, u.display_name) for u in users])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.due_from.data and self.due_to.data and self.due_from.data > self.due_to.data):
            self.due_to.errors.append("Must be on or after 'Due from'.")
            ok = False
        if (self.amount_min.data is not None and self.amount_max.data is not None
                and self.amount_min.data > self.amount_max.data):
            self.amount_max.errors.append("Must be at least the minimum.")
            ok = False
        return ok


class SavedViewForm(FlaskForm):
    name = StringField("View name", validators=[DataRequired(), Length(max=80)])
    is_shared = BooleanField("Share with the team")
    params = HiddenField()


class BulkActionForm(FlaskForm):
    """Supervisors' action on the selected rows; the chosen action says which field counts."""

    ids = SelectMultipleField("Selected items", coerce=int, validate_choice=False,
                              validators=[InputRequired(message="Select at least one item.")])
    action = SelectField("Action", choices=options([("assign", "Assign to"), ("pend", "Pend until"),
                                                    ("priority", "Set priority boost")]))
    assignee_id = SelectField("Assignee", choices=options([("", "Choose a person")]),
                              validators=[Optional()])
    pend_until = DateField("Pend until", validators=[Optional()])
    priority_override = IntegerField("Priority boost (days)",
                                     validators=[Optional(), NumberRange(min=-365, max=365)])
    back = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        needed = {"assign": self.assignee_id, "pend": self.pend_until,
                  "priority": self.priority_override}.get(self.action.data)
        if needed is not None and needed.data in (None, ""):
            needed.errors.append("Required for this action.")
            ok = False
        return ok


def worklist_filter(form: WorklistFilterForm, queue, user_id: int):
    """The query-side filter from the (validated) form; a field with an error is left out."""
    from workqueue.queries import WorklistFilter

    def value(field):
        return None if field.errors or field.data in ("", None) else field.data

    assignee = value(form.assignee)
    if assignee == "me":
        assignee = user_id
    elif assignee not in (None, "none"):
        assignee = int(assignee) if str(assignee).isdigit() else None
    per_page = value(form.per_page)
    return WorklistFilter(
        queue=queue,
        kinds=(form.kind.data,) if value(form.kind) else (),
        statuses=(form.status.data,) if value(form.status) else (),
        payer_ids=(int(form.payer.data),) if str(value(form.payer) or "").isdigit() else (),
        assignee=assignee,
        due_after=value(form.due_from),
        due_before=value(form.due_to),
        aging_bucket=value(form.aging),
        amount_min=value(form.amount_min),
        amount_max=value(form.amount_max),
        pended={"active": False, "pended": True, "all": None}.get(form.pended.data or "active",
                                                                  False),
        has_coding_errors=bool(form.coding.data),
        missed=DEADLINE_VIEWS.get(form.deadline.data or "live", False),
        sort=value(form.sort) or "priority",
        direction=value(form.dir),
        page=value(form.page) or 1,
        per_page=int(per_page) if per_page else 50,
    )
