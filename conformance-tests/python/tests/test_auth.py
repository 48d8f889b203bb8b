"""Authentication as SDK users do it (client reference §2): azure-identity's ClientSecretCredential and a
hand-written TokenCredential, both against the target's token service; the emulator runs with
`--auth strict`, so a bad token must be refused as a real org refuses it.
"""

from __future__ import annotations

import time

import pytest
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from support import ENTRA_AUTHORITY, GUID, ClientCredentialsTokenCredential, Created, Target, unique


def test_client_secret_credential_issues_a_token_for_the_org_scope(target: Target, credential: ClientSecretCredential):
    token = credential.get_token(target.scope)
    assert isinstance(token, AccessToken)
    assert token.token.count(".") == 2, "a JWT: header.payload.signature"
    assert token.expires_on > time.time() + 60
    # MSAL caches the token: asking again gives the same one.
    assert credential.get_token(target.scope).token == token.token


def test_client_secret_credential_drives_the_sdk(target: Target, credential: ClientSecretCredential):
    with DataverseClient(target.org_url, credential) as dv:
        info = dv.tables.get("account")
    assert info is not None
    assert info.entity_set_name == "accounts"


def test_client_secret_credential_with_a_wrong_secret_is_refused(target: Target):
    bad = ClientSecretCredential(
        target.tenant_id, target.client_id, "conf-wrong-secret",
        authority=target.authority, disable_instance_discovery=target.authority != ENTRA_AUTHORITY,
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        bad.get_token(target.scope)
    # Entra ID: "AADSTS7000215: Invalid client secret provided."
    assert "AADSTS7000215" in str(caught.value)


def test_hand_written_token_credential_drives_the_sdk_and_is_asked_once(target: Target, created: Created):
    cred = ClientCredentialsTokenCredential(target.token_endpoint, target.client_id, target.client_secret)
    assert isinstance(cred, TokenCredential), "the SDK checks the runtime-checkable Protocol"
    name = unique("conf-py-auth")
    with DataverseClient(target.org_url, cred) as dv:
        account_id = created.add("account", dv.records.create("account", {"name": name}))
        assert GUID.match(account_id)
        record = dv.records.retrieve("account", account_id, select=["name"])
        assert record is not None and record["name"] == name
        dv.records.delete("account", account_id)
        assert dv.records.retrieve("account", account_id) is None
    # Several requests (entity-set lookup, picklist lookup, POST, GET, DELETE, GET), one token request.
    assert cred.requests_sent == 1


class _FixedToken:
    """A credential that returns a token the token service never issued."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("conf-not-a-token", int(time.time()) + 3600)


def test_a_token_the_service_never_issued_gets_401(target: Target):
    with DataverseClient(target.org_url, _FixedToken()) as dv:
        with pytest.raises(HttpError) as caught:
            dv.tables.get("account")
    assert caught.value.status_code == 401
