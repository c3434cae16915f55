"""What changed in a pathway as an Atom feed, for teams to subscribe to: the rows of the "What
changed" page (approved changes only), each linking to its place on that page."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from ..models import Pathway
from ..operations.http_caching import shared_when_anonymous
from .changes import Change, published_changes
from .views import get_pathway_with_page


class FeedItem(NamedTuple):
    """One change of the "What changed" page and its place there."""

    change: Change
    link: str


class PathwayChangesFeed(Feed):
    """A pathway's approved changes, newest first. It never names staff: a feed is public."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Pathway:
        # The page's own rule: a draft, or a pathway without entries, is a 404.
        return get_pathway_with_page(request, slug)

    def title(self, pathway: Pathway) -> str:
        return f"What changed in {pathway.title}"

    def subtitle(self, pathway: Pathway) -> str:
        return f"Approved changes to the published {pathway.title} pathway, newest first."

    def link(self, pathway: Pathway) -> str:
        return pathway.page_url("changes")

    def feed_url(self, pathway: Pathway) -> str:
        return reverse("pathways:changes_feed", args=[pathway.slug])

    def items(self, pathway: Pathway) -> list[FeedItem]:
        page = pathway.page_url("changes")
        changes = published_changes(pathway, show_names=False)
        return [FeedItem(change, f"{page}#{change.anchor}") for change in changes]

    def item_title(self, item: FeedItem) -> str:
        return item.change.text

    def item_description(self, item: FeedItem) -> str:
        change = item.change
        lines = []
        if change.approval:
            lines.append(change.approval.by)
            if change.approval.reason:
                lines.append(f"Reason: “{change.approval.reason}”")
            if change.approval.comment:
                lines.append(f"Approver’s comment: “{change.approval.comment}”")
        for detail in change.details:
            before, after = detail.before or "(none)", detail.after or "(none)"
            lines.append(f"{detail.field}: before “{before}”, after “{after}”")
        return "\n".join(lines)

    def item_link(self, item: FeedItem) -> str:
        return item.link

    def item_pubdate(self, item: FeedItem) -> datetime:
        return item.change.when

    def item_updateddate(self, item: FeedItem) -> datetime:
        return item.change.when


pathway_changes_feed = require_safe(shared_when_anonymous(PathwayChangesFeed()))
