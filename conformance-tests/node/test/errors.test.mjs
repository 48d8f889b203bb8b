// Issue 8, scenario 5: error handling as a dynamics-web-api 2.5.0 user sees it. A record that is not
// there, a precondition failure (If-Match), a bad $filter, and an expired token followed by a refresh.
// Shapes: shared/reference/client-dynamics-web-api.md §2.3 (how the client turns error bodies into
// rejections, and the 412 → false/null special cases) and dataverse-wire.md §5 (the codes).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { clientCredentials, createClient, useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** "<entity> With Id = … Does Not Exist" (dataverse-wire.md §5). */
const RECORD_NOT_FOUND = "0x80040217";
/** ConcurrencyVersionMismatch: "The version of the existing record doesn't match the RowVersion property provided." */
const VERSION_MISMATCH = "0x80060882";
/** OData parse/resolve errors: unknown properties, bad literals (dataverse-wire.md §2.1). */
const ODATA_ERROR = "0x80060888";

/** The emulator's access tokens live this long in the expiry test, in seconds. */
const SHORT_TOKEN_LIFETIME_S = 2;

describe("dynamics-web-api 2.5.0: error handling (scenario 5)", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  it("scenario 5: not found — retrieve, update and delete of a missing id reject with 404 0x80040217", async () => {
    const missing = randomUUID();
    for (const call of [
      () => suite.dwa.retrieve({ collection: "accounts", key: missing, select: ["name"] }),
      () => suite.dwa.update({ collection: "accounts", key: missing, data: { name: "x" } }),
      () => suite.dwa.deleteRecord({ collection: "accounts", key: missing }),
    ]) {
      await assert.rejects(call(), (e) => {
        assert.equal(e.status, 404);
        assert.equal(e.code, RECORD_NOT_FOUND);
        assert.match(e.message, /Does Not Exist/);
        return true;
      });
    }
  });

  it("scenario 5: precondition failure — a stale If-Match is 412: false from update and deleteRecord, a rejection with propagateErrors", async () => {
    const name = unique("conf-err");
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name } }));
    assert.match(id, GUID);
    const before = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name"] });
    const staleEtag = before["@odata.etag"];
    assert.equal(await suite.dwa.update({ collection: "accounts", key: id, data: { name: `${name}-1` } }), true);

    // The client's convenience answers (§2.3): a 412 with If-Match set is `false`, not an error.
    assert.equal(await suite.dwa.update({ collection: "accounts", key: id, data: { name: `${name}-2` }, ifmatch: staleEtag }), false);
    assert.equal(await suite.dwa.deleteRecord({ collection: "accounts", key: id, ifmatch: staleEtag }), false);
    // With propagateErrors the same request rejects with the service's error. initializeInstance() copies
    // the suite client's configuration (token source included); setConfig merges into it.
    const strict = suite.dwa.initializeInstance();
    strict.setConfig({ propagateErrors: true });
    await assert.rejects(strict.update({ collection: "accounts", key: id, data: { name: `${name}-3` }, ifmatch: staleEtag }), (e) => {
      assert.equal(e.status, 412);
      assert.equal(e.code, VERSION_MISMATCH);
      return true;
    });
    const after = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name"] });
    assert.equal(after.name, `${name}-1`, "none of the stale writes changed the record");
  });

  it("scenario 5: a bad $filter — an unknown column and a malformed literal reject with 400 0x80060888", async () => {
    await assert.rejects(suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], filter: "conf_nosuchcolumn eq 'x'" }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, ODATA_ERROR);
      assert.match(e.message, /conf_nosuchcolumn/);
      return true;
    });
    await assert.rejects(suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], filter: "name eq 'unterminated" }), (e) => {
      assert.equal(e.status, 400);
      assert.match(e.code, /^0x[0-9a-f]{8}$/i);
      assert.ok(e.message);
      return true;
    });
  });
});

// A dedicated emulator whose tokens expire after SHORT_TOKEN_LIFETIME_S seconds. An app caches its token
// until the service refuses it, then fetches a new one and retries: dynamics-web-api itself never
// retries a 401 (it calls onTokenRefresh before each request and sends whatever it gets).
describe("dynamics-web-api 2.5.0: an expired token, then a refresh (scenario 5)", { timeout: 30_000 }, () => {
  const suite = useTarget({ serveArgs: ["--token-lifetime", String(SHORT_TOKEN_LIFETIME_S)] });

  it("scenario 5: a request with an expired token gets 401; the token source fetches a new token and the retry succeeds", async (t) => {
    if (suite.target.kind === "live") {
      t.skip("a live org's token lifetime can't be shortened (about an hour)");
      return;
    }
    const { tokenEndpoint, clientId, clientSecret } = suite.target.auth;
    const tokens = cachedUntilRefused(clientCredentials(tokenEndpoint, clientId, clientSecret, `${suite.target.serverUrl}/.default`));
    const dwa = createClient(suite.target.serverUrl, suite.target.version, tokens.get);

    const me = await withRefreshOn401(tokens, () => dwa.callFunction("WhoAmI"));
    assert.match(me.UserId, GUID);
    assert.equal(tokens.fetched, 1);

    await sleep(SHORT_TOKEN_LIFETIME_S * 1000 + 1000);
    // The cached token has expired: the first attempt is refused, as a real org refuses it.
    await assert.rejects(dwa.callFunction("WhoAmI"), (e) => {
      assert.equal(e.status, 401);
      return true;
    });
    const again = await withRefreshOn401(tokens, () => dwa.callFunction("WhoAmI"));
    assert.equal(again.UserId, me.UserId);
    assert.equal(tokens.fetched, 2, "one new token after the refusal");
  });
});

/**
 * Wraps a token source so it keeps its token until `refuse()` says the service refused it, as an app's
 * cache does when it can't see the token's expiry. (The harness's source renews a minute early, which
 * with two-second tokens would hide the expiry.)
 */
function cachedUntilRefused(fetchToken) {
  const state = {
    token: null,
    fetched: 0,
    get: async () => {
      if (!state.token) {
        state.token = await fetchToken();
        state.fetched += 1;
      }
      return state.token;
    },
    refuse: () => {
      state.token = null;
    },
  };
  return state;
}

/** Runs `call`; on a 401 drops the cached token and tries once more, as an app's retry policy does. */
async function withRefreshOn401(tokens, call) {
  try {
    return await call();
  } catch (error) {
    if (error?.status !== 401) throw error;
    tokens.refuse();
    return call();
  }
}
