"""Local staff see and touch only their areas. A member of staff with an area membership is
local staff: whatever groups they are in, they hold only the local permissions below, so
every national admin page refuses them and they never preview national drafts. Rows are
scoped by the local admin (pathways.local.admin) and decisions by `publishing.may_decide`."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from ..publishing import scoped_areas

LOCAL_EDITOR_PERMISSIONS = frozenset(
    {
        "pathways.view_area",
        "pathways.view_localservice",
        "pathways.add_localservice",
        "pathways.change_localservice",
        "pathways.delete_localservice",
        "pathways.view_localnote",
        "pathways.add_localnote",
        "pathways.change_localnote",
        "pathways.delete_localnote",
        "pathways.view_pendingchange",
        "pathways.view_problemreport",
        "pathways.change_problemreport",
    }
)
LOCAL_PUBLISHER_PERMISSIONS = LOCAL_EDITOR_PERMISSIONS | {
    "pathways.publish_localservice",
    "pathways.publish_localnote",
}


def is_scoped(user) -> bool:
    return scoped_areas(user) is not None


def areas_for(user):
    """The ids of the areas `user` may touch (a queryset), or None: every area."""
    return scoped_areas(user)


def may_touch(user, area_id) -> bool:
    """Whether `user` may edit content of this area (national staff: any area)."""
    if area_id is None:
        return not is_scoped(user)
    return not is_scoped(user) or user.area_memberships.filter(area_id=area_id).exists()


def may_publish_in(user, area_id) -> bool:
    """Whether `user` publishes content of this area: a local publisher of it, or a national
    publisher."""
    if is_scoped(user):
        return user.area_memberships.filter(area_id=area_id, role="publisher").exists()
    return user.has_perm("pathways.publish_localservice")


class ScopedModelBackend(ModelBackend):
    """Django's permissions, except that local staff hold the local permissions only (a
    publisher's membership adds publishing), whatever groups or permissions they were given."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_scoped_perm_cache"):
            roles = set(user_obj.area_memberships.values_list("role", flat=True))
            if user_obj.is_superuser or not roles:
                user_obj._scoped_perm_cache = None
            elif "publisher" in roles:
                user_obj._scoped_perm_cache = set(LOCAL_PUBLISHER_PERMISSIONS)
            else:
                user_obj._scoped_perm_cache = set(LOCAL_EDITOR_PERMISSIONS)
        if user_obj._scoped_perm_cache is None:
            return super().get_all_permissions(user_obj, obj)
        return user_obj._scoped_perm_cache

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        # Who holds a national permission (notices to publishers): never local staff, whose
        # groups count for nothing.
        users = super().with_perm(perm, is_active, include_superusers, obj)
        return users.filter(Q(is_superuser=True) | Q(area_memberships__isnull=True)).distinct()
