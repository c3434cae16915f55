"""The staff groups that tests make again after a transactional test's flush are the groups
the migrations made: a group with more rights would let a test of an editor pass or fail for
the wrong reason (an editor who could publish saw a required status field, so the fault
drill's refused save answered 200 when it ran after the browser tests)."""

from django.contrib.auth.models import Group

from .conftest import staff_group


def rights_of(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_staff_groups_made_again_after_a_flush_keep_the_migrations_rights(db):
    Group.objects.filter(name__in=["Editors", "Publishers"]).delete()  # as a flush leaves them
    editors, publishers = rights_of(staff_group("Editors")), rights_of(staff_group("Publishers"))
    assert {"pathways.change_entry", "pathways.add_intervention"} <= editors
    assert not {"pathways.publish_entry", "pathways.publish_pathway"} & editors
    assert {"pathways.publish_entry", "pathways.publish_pathway"} <= publishers
