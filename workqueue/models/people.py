"""Users, teams and skills: who works the queues and what they are good at."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.domain.roles import Role
from workqueue.models.base import Base, enum_column_type


class SkillKind(StrEnum):
    PAYER = "payer"  # value: payer id
    DENIAL_CATEGORY = "denial_category"  # value: category name
    DRUG_FAMILY = "drug_family"  # value: chemo / therapeutic / hydration / biologic family
    WORK_KIND = "work_kind"  # value: prior_auth / eligibility / denial / ar_followup


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # SHA-256 of the API token; the token itself is shown once and never stored.
    api_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # TOTP second factor (RFC 6238). The base32 secret is stored as is (the code base has no
    # encryption-at-rest helper; the database and its backups must be encrypted) and is never
    # shown again after enrolment. A secret with no enrolled_at is an enrolment in progress.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enrolled_at: Mapped[datetime | None]
    # The last accepted 30-second time step: a code at or before it is refused (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Every browser session carries the epoch it was signed in under; bumping it (sign-out,
    # password reset, MFA change, "sign out everywhere": services.users.end_sessions) ends
    # every copy of every earlier session cookie at its next request.
    session_epoch: Mapped[int] = mapped_column(default=0)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    skills: Mapped[list["Skill"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Skill.id"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_mfa(self) -> bool:
        return self.totp_enrolled_at is not None


class RecoveryCode(Base):
    """A single-use MFA recovery code, argon2id-hashed like a password; used_at once spent."""

    __tablename__ = "mfa_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Skill(Base):
    __tablename__ = "skills"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "value", name="user_kind_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[SkillKind] = mapped_column(enum_column_type(SkillKind, "skill_kind"))
    value: Mapped[str] = mapped_column(sa.String(80))

    user: Mapped[User] = relationship(back_populates="skills")
