import factory
from django.utils import timezone

from governance.engine.default_policy import DEFAULT_POLICY
from governance.policies.models import ReplayJob


class ReplayJobFactory(factory.django.DjangoModelFactory):
    """A pending replay, as a page or a task sees it before a worker picks it
    up: nothing is enqueued, the test runs the task itself when it wants."""

    class Meta:
        model = ReplayJob

    document = factory.LazyFunction(lambda: DEFAULT_POLICY)
    days = 30
    total = factory.SelfAttribute("days")
    created_at = factory.LazyFunction(timezone.now)
