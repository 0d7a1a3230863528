"""The admin audit log reads in words: who acted by name, each row linked to its object, and
the stored context ("assign 3->7", "status new->triaged") said as a person would."""

import re
from html import unescape

from tests.factories import NOW, make_payer, make_queue, make_user, make_work_item
from workqueue.services.assignment import assign_work_item
from workqueue.services.audit import Actor, record
from workqueue.services.get_next import claim_next
from workqueue.services.queues import QueueSpec, create_queue
from workqueue.services.work_items import transition_work_item


def _rows(html: str) -> list[str]:
    table = html.split('id="audit-table"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", row))).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def test_rows_name_people_link_objects_and_say_what_happened(session, client, auth):
    admin = make_user(session, "admin", username="irene", display_name="Irene Castillo")
    ruth = make_user(session, "denial_specialist", username="denials1",
                     display_name="Ruth Kowalski")
    tomas = make_user(session, "denial_specialist", username="denials2",
                      display_name="Tomas Herrera")
    boss = make_user(session, "supervisor", username="helen", display_name="Helen Marsh")
    queue = make_queue(session, [ruth], name="Denials, Medicare", slug="denials-medicare",
                       kinds=["denial"])
    item = make_work_item(session, "denial", title="CO-197")
    assign_work_item(session, item, ruth.id, Actor.for_user(boss), NOW)
    assign_work_item(session, item, tomas.id, Actor.for_user(boss), NOW)
    transition_work_item(session, item, "triaged", Actor.for_user(tomas), NOW)
    pool = make_work_item(session, "denial", title="Pool item")
    assert claim_next(session, ruth, queue, Actor.for_user(ruth), NOW) == pool.id
    payer = make_payer(session)
    create_queue(session, QueueSpec(name="Coding denials", slug="coding-denials",
                                    kinds=("denial",), member_ids=(ruth.id, tomas.id),
                                    strategy="round_robin"), Actor.for_user(admin), NOW)
    record(session, Actor.for_user(admin), "update", "user", ruth.id, now=NOW,
           context=f"skills category=coding;payer={payer.id}")
    session.flush()

    auth.login("irene")
    html = client.get("/admin/audit").get_data(as_text=True)
    rows = _rows(html)
    text = "\n".join(rows)
    assert "assigned to Ruth Kowalski" in text
    assert "reassigned from Ruth Kowalski to Tomas Herrera" in text
    assert "status New → Triaged" in text
    assert "claimed from Denials, Medicare with Get next" in text
    assert ("strategy round robin, not skill-matched, active, members Ruth Kowalski, "
            "Tomas Herrera") in text
    assert f"skills: category coding, payer {payer.name}" in text
    assert "Helen Marsh (Supervisor)" in text and "Changed" in text
    assert not re.search(r"->|None|\w+_\w+=|assign \d", text), text
    assert f'<a href="/work-items/{item.id}">Work item {item.id}</a>' in html
    assert f'<a href="/work-items/{pool.id}">Work item {pool.id}</a>' in html
    assert f'<a href="/admin/users/{ruth.id}">User {ruth.id}</a>' in html
