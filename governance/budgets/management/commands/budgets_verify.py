from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.budgets.selectors import budget_spend_from_calls, budgets_status


class Command(BaseCommand):
    help = "Check that each budget's spend (summed from the hourly roll-ups) equals the sum over its raw calls."

    def handle(self, *args, **options):
        mismatches = 0
        for status in budgets_status(now=timezone.now()):
            rebuilt = budget_spend_from_calls(budget=status.budget, bounds=status.bounds)
            same = rebuilt == status.spend
            mismatches += not same
            mark = "ok" if same else "MISMATCH"
            self.stdout.write(f"{mark:8} {status.budget}: roll-ups {status.spend}, calls {rebuilt}")
        if mismatches:
            raise CommandError(f"{mismatches} budget(s) differ from their calls")
