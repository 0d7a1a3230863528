"""Forms of the visits area: the drug catalog entry an admin adds or edits."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

FAMILIES = [SelectChoice("chemo", "Chemotherapy / complex biologic"),
            SelectChoice("therapeutic", "Therapeutic"), SelectChoice("hydration", "Hydration")]


class DrugCatalogEntryForm(FlaskForm):
    hcpcs = StringField("HCPCS code", validators=[
        DataRequired(), Regexp(r"^\s*[A-Va-v]\d{4}\s*$",
                               message="A letter A-V then four digits, e.g. J9312.")])
    description = StringField("Description", validators=[DataRequired(), Length(max=200)])
    unit_size = DecimalField("Billing unit size", places=None, validators=[
        InputRequired(message="Enter the amount one billing unit covers."),
        NumberRange(min=0.0001, message="The unit size must be more than zero.")])
    unit = SelectField("Unit", validators=[DataRequired()])
    family = SelectField("Family", choices=FAMILIES, validators=[DataRequired()])
    is_single_dose = BooleanField("Single-dose container (document waste: JW/JZ)")
    is_hormonal = BooleanField("Hormonal antineoplastic")
    is_active = BooleanField("Active", default=True)

    def set_units(self, units: list[str]) -> None:
        """The units the coding rules can convert doses to (known only at request time)."""
        self.unit.choices = [SelectChoice(unit) for unit in units]
