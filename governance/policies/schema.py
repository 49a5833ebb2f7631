"""OpenAPI: the decision endpoints take the same bearer API key (loaded by PoliciesConfig.ready)."""

from governance.accounts.schema import ApiKeyAuthenticationScheme


class CachedApiKeyAuthenticationScheme(ApiKeyAuthenticationScheme):
    target_class = "governance.policies.authentication.CachedApiKeyAuthentication"
    name = "ApiKeyDecisions"

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] += (
            " On the decision endpoints a revoked key stops working within 5 seconds."
        )
        return definition
