import factory
from django.contrib.auth.models import Group, User

from governance.accounts import roles
from governance.accounts.models import Client, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"client-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """UserFactory(role="admin" | "manager" | None)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user-{n}")
    # Hashed before the first save, so a session made with force_login stays valid.
    password = factory.django.Password("correct horse battery staple")

    @classmethod
    def _create(cls, model_class, *args, role=None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if role is not None:
            name = {"admin": roles.ADMIN_GROUP, "manager": roles.MANAGER_GROUP}[role]
            user.groups.add(Group.objects.get(name=name))
        return user
