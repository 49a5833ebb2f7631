from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.budgets.selectors import budget_spend_from_calls, budgets_status
from governance.core.money import amount_display


class Command(BaseCommand):
    help = "Check that each budget's spend (summed from the hourly roll-ups) equals the sum over its raw calls."

    def handle(self, *args, **options):
        mismatches = 0
        for status in budgets_status(now=timezone.now()):
            rebuilt = budget_spend_from_calls(budget=status.budget, bounds=status.bounds)
            same = rebuilt == status.spend
            mismatches += not same
            unit = status.budget.unit
            if same:
                self.stdout.write(
                    f"ok       {status.budget}: {amount_display(status.spend, unit)} "
                    "in the roll-ups and in the calls"
                )
            else:
                # Exact figures: a difference may be smaller than a cent.
                self.stdout.write(
                    f"MISMATCH {status.budget}: roll-ups {status.spend}, calls {rebuilt} ({unit})"
                )
        if mismatches:
            raise CommandError(f"{mismatches} budget(s) differ from their calls")
