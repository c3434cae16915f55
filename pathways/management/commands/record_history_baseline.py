"""Gives content that has no history yet (content loaded from fixtures) a first version, so
that later edits have something to be compared with and reverted to."""

from django.core.management.base import BaseCommand

from pathways.history import BASELINE_REASON, ContentHistory, record_version


class Command(BaseCommand):
    help = "Record a first historical version of every piece of content that has none."

    def handle(self, *args, **options):
        created = 0
        for model in ContentHistory.registry:
            with_history = set(model.history.values_list(model._meta.pk.attname, flat=True))
            for obj in model.objects.exclude(pk__in=with_history):
                obj._change_reason = BASELINE_REASON
                record_version(obj, created=True)
                created += 1
        self.stdout.write(f"Recorded {created} first version{'s' if created != 1 else ''}.")
