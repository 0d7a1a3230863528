"""Admin forms: users, passwords, skills, payer rules and appeal levels, queues, audit filter.

Range checks here give the user a message next to the field; the services check the same
numbers again, and :func:`show_domain_error` puts a service refusal (a taken name, say) on the
field it names.
"""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from workqueue.domain.errors import DomainError
from workqueue.domain.identifiers import MAX_ID
from workqueue.domain.roles import Role
from workqueue.domain.status import WorkItemKind
from workqueue.models import AssignmentStrategy, DenialCategory, PayerType
from workqueue.services.admin import APPEAL_LEVEL_RANGE, DECISION_RANGE, WINDOW_RANGE
from workqueue.services.users import MIN_PASSWORD_LENGTH


def label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def options(pairs) -> list[SelectChoice]:
    """Choices as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, text) for value, text in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes: every choice visible and reachable by Tab and Space."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Checkboxes may all be unticked; unknown values are still refused.
        values = {str(c.value) for c in self.choices or ()}
        for data in self.data or ():
            if str(data) not in values:
                raise ValidationError(f"{data!r} is not a valid choice.")


def show_domain_error(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Attach a service's refusal to the fields its details name (else to the form)."""
    placed = False
    for name in error.details:
        target = _field(form, (aliases or {}).get(name, name))
        if target is not None:
            target.errors = [*target.errors, error.message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def _field(form, dotted: str):
    """``levels-0-level`` → form.levels[0].level; plain names → form.<name>."""
    parts = dotted.split("-")
    if len(parts) == 3 and parts[1].isdigit() and hasattr(form, parts[0]):
        entries = getattr(form, parts[0]).entries
        index = int(parts[1])
        return getattr(entries[index].form, parts[2], None) if index < len(entries) else None
    return getattr(form, dotted, None) if dotted in form._fields else None


ROLE_CHOICES = options((r.value, label(r.value)) for r in Role)
USERNAME = Regexp(r"^[A-Za-z0-9_.]+$", message="Letters, digits, dots or underscores only.")
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an e-mail address like a@b.org.")


class UserCreateForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64), USERNAME],
                           render_kw={"autocomplete": "off"})
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
    email = StringField("E-mail", validators=[Optional(), Length(max=254), EMAIL])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("Repeat password",
                            validators=[DataRequired(), EqualTo("password",
                                                                "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class UserEditForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
    email = StringField("E-mail", validators=[Optional(), Length(max=254), EMAIL])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    is_active = BooleanField("Active (may sign in)")


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("Repeat new password",
                            validators=[DataRequired(), EqualTo("password",
                                                                "The passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class SkillsForm(FlaskForm):
    payers = MultiCheckboxField("Payers", choices=[])
    denial_categories = MultiCheckboxField(
        "Denial categories",
        choices=options((c.value, label(c.value)) for c in DenialCategory))
    drug_families = StringField(
        "Drug families", validators=[Optional(), Length(max=400)],
        description="Comma-separated, e.g. chemo, biologic, immunoglobulin.")
    work_kinds = MultiCheckboxField("Kinds of work",
                                    choices=options((k.value, label(k.value))
                                                    for k in WorkItemKind))

    def validate_drug_families(self, field):
        if any(len(v.strip()) > 80 for v in (field.data or "").split(",")):
            raise ValidationError("Each drug family is at most 80 characters.")

    def skill_pairs(self) -> list[tuple[str, str]]:
        families = [v.strip() for v in (self.drug_families.data or "").split(",") if v.strip()]
        return ([("payer", v) for v in self.payers.data or ()]
                + [("denial_category", v) for v in self.denial_categories.data or ()]
                + [("drug_family", v) for v in families]
                + [("work_kind", v) for v in self.work_kinds.data or ()])


def _whole(name: str, low: int, high: int, required: bool = True):
    first = InputRequired(f"{name} is required.") if required else Optional()
    return [first, NumberRange(low, high, f"{name} must be from {low} to {high}.")]


class AppealLevelForm(Form):
    """One row of the appeal-level table (no CSRF of its own: it is part of PayerForm)."""

    level = IntegerField("Level", validators=_whole("Level", *APPEAL_LEVEL_RANGE))
    name = StringField("Name", validators=[DataRequired("Name the level."), Length(max=80)])
    window_days = IntegerField("Window (days)", validators=_whole("Window", *WINDOW_RANGE))
    decision_days = IntegerField("Decision (days)",
                                 validators=_whole("Decision time", *DECISION_RANGE, False))
    remove = BooleanField("Remove")


class PayerForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    payer_type = SelectField("Type",
                             choices=options((t.value, label(t.value)) for t in PayerType))
    edi_payer_id = StringField("EDI payer id", validators=[Optional(), Length(max=80)],
                               description="N1*PR / NM1*PR identifier on 835 files.")
    is_active = BooleanField("Active", default=True)
    requires_ndc = BooleanField(
        "Drug lines need their NDC",
        description="The coding check flags a drug line without one. New Medicaid payers "
                    "start with this on.")
    timely_filing_days = IntegerField("Timely filing (days)",
                                      validators=_whole("Timely filing", 1, 3650))
    auth_lead_days = IntegerField("Re-authorization lead time (days)",
                                  validators=_whole("Lead time", 0, 365))
    auth_turnaround_days = IntegerField("Authorization turnaround (days)",
                                        validators=_whole("Turnaround", 1, 180))
    reverify_days = IntegerField("Eligibility re-verification (days)",
                                 validators=_whole("Re-verification", 1, 365))
    auth_units_warn_pct = IntegerField("Warn when units used reach (%)",
                                       validators=_whole("Units warning", 1, 100))
    ar_followup_days = IntegerField("AR follow-up after (days)",
                                    validators=_whole("AR follow-up", 1, 365))
    levels = FieldList(FormField(AppealLevelForm), min_entries=0, max_entries=5)
    add_level = SubmitField("Add a level")
    save = SubmitField("Save payer")

    def validate_levels(self, field):
        kept = [entry.form.level for entry in field.entries
                if not entry.form.remove.data and entry.form.level.data is not None]
        seen: set[int] = set()
        repeated = False
        for level in kept:
            if level.data in seen:
                level.errors = [*level.errors, f"Level {level.data} is listed twice."]
                repeated = True
            seen.add(level.data)
        if repeated:
            raise ValidationError("Each level may appear once.")
        # Upheld appeals move on by number: a gap would leave the next level undated.
        for level in kept:
            missing = next((n for n in range(1, level.data) if n not in seen), None)
            if missing is not None and not level.errors:
                level.errors = [*level.errors, f"Level {level.data} needs level {missing} "
                                "before it: add that level or renumber this one."]
                raise ValidationError("Levels run 1, 2, 3… without a gap.")

    RULE_FIELDS = ("timely_filing_days", "auth_lead_days", "auth_turnaround_days",
                   "reverify_days", "auth_units_warn_pct", "ar_followup_days")


class QueueForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField("Slug", validators=[
        DataRequired(), Length(max=60),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
               message="Lowercase letters, digits and single dashes, e.g. denials-medicare.")],
        description="Used in links; lowercase letters, digits and dashes.")
    description = TextAreaField("Description", validators=[Optional(), Length(max=300)])
    kinds = MultiCheckboxField("Kinds of work (none ticked: all)",
                               choices=options((k.value, label(k.value)) for k in WorkItemKind))
    payer_ids = MultiCheckboxField("Payers (none ticked: all)", coerce=int, choices=[])
    categories = MultiCheckboxField("Denial categories (none ticked: all)",
                                    choices=options((c.value, label(c.value))
                                                    for c in DenialCategory))
    other_categories = StringField("Other categories (drug families)",
                                   validators=[Optional(), Length(max=300)],
                                   description="Comma-separated, e.g. biologic, chemo.")
    member_ids = MultiCheckboxField("Members", coerce=int, choices=[])
    strategy = SelectField("Auto-assignment", choices=options(
        (s.value, label(s.value)) for s in AssignmentStrategy))
    is_skill_matched = BooleanField("Only to members with a matching skill (payer, category)")
    is_active = BooleanField("Active", default=True)

    def all_categories(self) -> tuple[str, ...]:
        extra = [v.strip() for v in (self.other_categories.data or "").split(",") if v.strip()]
        return tuple(self.categories.data or ()) + tuple(extra)


class AuditFilterForm(FlaskForm):
    """The audit log filter; a GET form so filtered views can be linked."""

    class Meta:
        csrf = False

    user_id = SelectField("User", choices=[], validators=[Optional()])
    patient_id = IntegerField("Patient id", validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    # Any action may be asked for, even one not (yet) in the log.
    action = SelectField("Action", choices=[], validate_choice=False,
                         validators=[Optional(), Length(max=30)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
