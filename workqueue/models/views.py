"""Saved worklist views: a named set of filters on a queue, personal or shared with the team."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workqueue.clock import utcnow
from workqueue.models.base import Base
from workqueue.models.people import User
from workqueue.models.work import Queue


class SavedView(Base):
    """The filter/sort parameters of a worklist, kept under a name the user chose.

    ``params`` holds the worklist's query-string values as a plain dict, so the same view
    reopens with exactly the URL it was saved from. Shared views are visible to everyone
    who may open the queue; only their owner (or a supervisor) deletes them.
    """

    __tablename__ = "saved_views"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "queue_id", "name", name="owner_queue_name"),
        sa.Index("ix_saved_views_queue_shared", "queue_id", "is_shared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"))
    is_shared: Mapped[bool] = mapped_column(default=False)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship()
    queue: Mapped[Queue] = relationship()
