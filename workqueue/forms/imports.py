"""Import forms: the X12 upload (size limit, X12 check, 835/271/277 only) and the CARC/RARC
catalog admin."""

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from workqueue.domain.reason_codes import ACTIONS, CATEGORIES

_LEADING_JUNK = b"\r\n \t\x00\xef\xbb\xbf"


def max_upload_bytes() -> int:
    return int(current_app.config["IMPORT_MAX_BYTES"])


def _size_limit(form, field) -> None:
    stream = field.data.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    limit = max_upload_bytes()
    if size == 0:
        raise ValidationError("The file is empty.")
    if size > limit:
        raise ValidationError(f"The file is {size / 1e6:.1f} MB; the limit is "
                              f"{limit / 1e6:.0f} MB.")


def _looks_like_x12(form, field) -> None:
    """Cheap check at upload: an X12 interchange starts with an ISA segment. The job checks
    the whole envelope and reports any problem with its segment position."""
    stream = field.data.stream
    head = stream.read(512)
    stream.seek(0)
    if not head.lstrip(_LEADING_JUNK).startswith(b"ISA"):
        raise ValidationError("This is not an X12 file: an 835 starts with an ISA segment. "
                              "Upload the remittance file exactly as the payer or "
                              "clearinghouse sent it.")


def _supported_kind(form, field) -> None:
    """The first transaction set (ST01) must be one the product imports: 835, 271, 277."""
    from workqueue.services.imports import UnsupportedFile, detect_kind
    from workqueue.x12.reader import X12Error

    try:
        detect_kind(field.data.stream)
    except UnsupportedFile as error:
        raise ValidationError(error.message) from None
    except X12Error as error:
        raise ValidationError(f"This is not a readable X12 file: {error}") from None


class ImportUploadForm(FlaskForm):
    file = FileField("835 remittance file, 271 eligibility response or 277 claim status "
                     "response",
                     validators=[FileRequired(message="Choose an 835 file, or a 271 or 277 "
                                              "file, to upload."),
                                 _size_limit, _looks_like_x12, _supported_kind])


def _labels(values) -> list[SelectChoice]:
    return [SelectChoice(v, v.replace("_", " ")) for v in sorted(values)]


class ReasonCodeSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Code or words", validators=[Length(max=60)])
    code_type = SelectField("Type", choices=[SelectChoice("", "CARC and RARC"),
                                             SelectChoice("carc", "CARC"),
                                             SelectChoice("rarc", "RARC")],
                            validate_choice=False)
    unknown = BooleanField("Only codes not described yet")


class ReasonCodeForm(FlaskForm):
    meaning = TextAreaField("Meaning in plain words", validators=[
        DataRequired(message="Say what the code means."), Length(max=300)],
        render_kw={"rows": 3})
    category = SelectField("Denial category", choices=_labels(CATEGORIES))
    is_usually_preventable = BooleanField("Usually preventable (front-end or billing fix)")
    default_action = SelectField("Default action", choices=_labels(ACTIONS),
                                 description="“none” and “patient bill” mean routine posting: "
                                             "no denial item is opened for this code.")
    letter_template = SelectField("Appeal letter template",
                                  choices=_labels(CATEGORIES | {"none"}))
