// Delegated sign-in against the emulator's token service, done by hand with fetch as a desktop app would:
// authorize (PKCE S256) → code → token → refresh, then dynamics-web-api with the delegated token calls
// WhoAmI and sees the signed-in user. Wire facts: shared/reference/dataverse-wire.md §8.2–8.6.
// A live org needs a browser for this flow, so these tests run against the emulator only.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { createClient, useTarget } from "../lib/harness.mjs";
import { GUID } from "../lib/helpers.mjs";

/** A loopback redirect URI registered for the default org's app; Entra lets the port vary. */
const REDIRECT_URI = "http://localhost:8400/callback";

const base64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** The JSON payload of a JWT (no verification: the emulator's JWKS check is covered by the Rust tests). */
const claims = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));

describe("token service: authorization code with PKCE, refresh, and a delegated dynamics-web-api client", { timeout: 30_000 }, () => {
  const suite = useTarget();

  /** POSTs a token request form and returns `{status, body}`. */
  async function tokenRequest(form) {
    const response = await fetch(suite.target.auth.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Runs the authorize step for `scope` and returns the redirect's parameters. */
  async function authorize(scope, challenge, extra = {}) {
    const url = new URL(suite.target.auth.authorizeEndpoint);
    const params = {
      client_id: suite.target.auth.clientId,
      response_type: "code",
      redirect_uri: REDIRECT_URI,
      response_mode: "query",
      scope,
      state: "conformance-state",
      nonce: "conformance-nonce",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra,
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const response = await fetch(url, { redirect: "manual" });
    assert.equal(response.status, 302, await response.text());
    const location = new URL(response.headers.get("location"));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    return Object.fromEntries(location.searchParams);
  }

  it("signs in, redeems the code once, refreshes, and calls WhoAmI as the user", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the emulator's token service (a live org needs a browser)");
    const { serverUrl, version, auth } = suite.target;
    const scope = `${serverUrl}/user_impersonation offline_access openid`;
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash("sha256").update(verifier).digest());

    const redirect = await authorize(scope, challenge);
    assert.equal(redirect.state, "conformance-state");
    assert.ok(redirect.code, "a code comes back");

    // A public client (no secret) redeems the code with its PKCE verifier.
    const redeem = { grant_type: "authorization_code", client_id: auth.clientId, code: redirect.code, redirect_uri: REDIRECT_URI, code_verifier: verifier, scope };
    const first = await tokenRequest(redeem);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.token_type, "Bearer");
    assert.equal(first.body.scope, `${serverUrl}/user_impersonation`);
    assert.ok(first.body.refresh_token, "offline_access gives a refresh token");
    const id = claims(first.body.id_token);
    assert.equal(id.nonce, "conformance-nonce");
    assert.equal(id.aud, auth.clientId);
    const access = claims(first.body.access_token);
    assert.equal(access.scp, "user_impersonation");
    assert.equal(access.oid, id.oid);
    assert.equal(access.aud, serverUrl);

    // The code is one-time.
    const again = await tokenRequest(redeem);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, "invalid_grant");
    assert.deepEqual(again.body.error_codes, [54005]);
    assert.match(again.body.error_description, /^AADSTS54005: /);

    // Refresh: a new access token and a new refresh token.
    const refreshed = await tokenRequest({ grant_type: "refresh_token", client_id: auth.clientId, refresh_token: first.body.refresh_token, scope });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.ok(refreshed.body.refresh_token);
    assert.notEqual(refreshed.body.refresh_token, first.body.refresh_token);
    assert.equal(claims(refreshed.body.access_token).oid, id.oid);

    // dynamics-web-api with the delegated token: WhoAmI is the user whose Entra object id is the token's oid.
    const dwa = createClient(serverUrl, version, async () => refreshed.body.access_token);
    const me = await dwa.callFunction("WhoAmI");
    assert.match(me.UserId, GUID);
    const users = await dwa.retrieveMultiple({ collection: "systemusers", select: ["systemuserid", "domainname"], filter: `azureactivedirectoryobjectid eq ${id.oid}` });
    assert.equal(users.value.length, 1);
    assert.equal(me.UserId, users.value[0].systemuserid);
    assert.equal(users.value[0].domainname.toLowerCase(), id.preferred_username.toLowerCase());
  });

  it("login_hint picks the user; a wrong verifier, a bad scope and a bad refresh token are Entra errors", async (t) => {
    if (suite.target.kind !== "emulator") return t.skip("needs the emulator's token service");
    const { serverUrl, version, auth } = suite.target;
    const scope = `${serverUrl}/user_impersonation offline_access`;
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash("sha256").update(verifier).digest());

    const hinted = await authorize(scope, challenge, { login_hint: "priya@emulatedorg.onmicrosoft.com" });
    const wrong = await tokenRequest({ grant_type: "authorization_code", client_id: auth.clientId, code: hinted.code, redirect_uri: REDIRECT_URI, code_verifier: base64url(randomBytes(32)) });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body.error_codes, [50148]);

    const second = await authorize(scope, challenge, { login_hint: "priya@emulatedorg.onmicrosoft.com" });
    const ok = await tokenRequest({ grant_type: "authorization_code", client_id: auth.clientId, code: second.code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.id_token, undefined, "no openid, no id_token");
    const dwa = createClient(serverUrl, version, async () => ok.body.access_token);
    const me = await dwa.callFunction("WhoAmI");
    const user = await dwa.retrieve({ collection: "systemusers", key: me.UserId, select: ["domainname"] });
    assert.equal(user.domainname, "priya@emulatedorg.onmicrosoft.com");

    const badScope = await authorize("User.Read", challenge);
    assert.equal(badScope.error, "invalid_scope");
    assert.match(badScope.error_description, /^AADSTS70011: /);
    assert.equal(badScope.state, "conformance-state");

    const badRefresh = await tokenRequest({ grant_type: "refresh_token", client_id: auth.clientId, refresh_token: "not-a-refresh-token" });
    assert.equal(badRefresh.status, 400);
    assert.match(badRefresh.body.error_description, /^AADSTS\d+: /);
  });
});
