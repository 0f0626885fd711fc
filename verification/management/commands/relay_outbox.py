"""Send to the broker now the tasks the outbox kept (what the beat task and every worker start
do once Redis is back); says how many went and how many still wait."""

from django.core.management.base import BaseCommand

from verification.services.outbox import outbox_pending, outbox_sweep


class Command(BaseCommand):
    help = "Send the tasks kept in the outbox while the broker was down."

    def handle(self, *args, **options):
        sent = outbox_sweep()
        self.stdout.write(f"{sent} task(s) sent; {outbox_pending()} still waiting for the broker")
