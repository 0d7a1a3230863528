"""Forms of the visits area: the drug catalog entry an admin adds or edits."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

FAMILIES = [SelectChoice("chemo", "Chemotherapy / complex biologic"),
            SelectChoice("therapeutic", "Therapeutic"), SelectChoice("hydration", "Hydration")]
# The NDC unit qualifiers of DOMAIN.md §2.4, with the words people use for them.
NDC_UNIT_CHOICES = [SelectChoice("", "No package on file"),
                    SelectChoice("UN", "Each (vial, syringe, bag) — UN"),
                    SelectChoice("ML", "Milliliters — ML"), SelectChoice("GR", "Grams — GR"),
                    SelectChoice("ME", "Milligrams — ME"),
                    SelectChoice("F2", "International units — F2")]


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
    ndc = StringField("NDC of the package you stock", validators=[Optional(), Length(max=20)],
                      description="As printed, with its hyphens (0002-7597-01), or 11 digits.")
    package_amount = DecimalField(
        "Drug in one package", places=None, validators=[Optional()],
        description="In the billing unit above: 100 for a 100 mg vial.")
    package_quantity = DecimalField(
        "NDC quantity of one package", places=None, validators=[Optional()],
        description="10 for a 10 mL vial billed in milliliters; 1 for a vial billed each.")
    package_unit = SelectField("NDC unit", choices=NDC_UNIT_CHOICES, validators=[Optional()])
    price = DecimalField("Charge per billing unit ($)", places=2, validators=[
        Optional(), NumberRange(min=0, message="The price cannot be negative.")])
    unit_source = StringField("Where the unit size comes from",
                              validators=[Optional(), Length(max=200)])
    is_unit_verified = BooleanField("Unit size checked against the HCPCS descriptor")

    def set_units(self, units: list[str]) -> None:
        """The units the coding rules can convert doses to (known only at request time)."""
        self.unit.choices = [SelectChoice(unit) for unit in units]
