// Tests of client.js. Run: node --test client/
//
// The first group drives the client against a stub fetch and checks what
// goes over the wire. The second runs against a real authgo server when
// AUTHGO_TEST_URL is set (client_test.go starts one and runs this file);
// without it those tests are skipped.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createAuthClient } from "./client.js";

const quiet = { error() {} };
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const alice = { user: { name: "Alice", email: "alice@example.com" }, expires: "2099-01-01T00:00:00.000Z" };

// stub returns a fetch that records each request and answers with
// handler(req) → {status, body} | body; a promise delays the answer.
function stub(handler) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const req = {
      url: String(url),
      path: new URL(String(url), "http://x").pathname,
      method: init.method ?? "GET",
      headers: init.headers ?? {},
      credentials: init.credentials,
      body: init.body === undefined ? undefined : String(init.body),
    };
    calls.push(req);
    let out = await handler(req);
    if (!out || typeof out !== "object" || !("status" in out)) out = { status: 200, body: out };
    return new Response(JSON.stringify(out.body ?? null), {
      status: out.status,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { fetch, calls };
}

// server is a stub of the auth endpoints with a signed-in flag.
function server(base = "/auth", { signedIn = false } = {}) {
  let session = signedIn ? alice : null;
  const s = stub((req) => {
    switch (`${req.method} ${req.path}`) {
      case `GET ${base}/csrf`: return { csrfToken: "tok" };
      case `GET ${base}/providers`: return {
        credentials: { id: "credentials", name: "Credentials", type: "credentials" },
        github: { id: "github", name: "GitHub", type: "oauth" },
      };
      case `GET ${base}/session`: return session;
      case `POST ${base}/session`: return session && { ...session, user: { ...session.user, ...JSON.parse(req.body).data } };
      case `POST ${base}/callback/credentials`: {
        const f = new URLSearchParams(req.body);
        if (f.get("password") !== "wonderland") return { url: "http://h/auth/signin?error=CredentialsSignin&code=credentials" };
        session = alice;
        return { url: f.get("callbackUrl") ?? "http://h/" };
      }
      case `POST ${base}/signin/github`: return { url: "https://github.com/login/oauth/authorize?x=1" };
      case `POST ${base}/signout`: session = null; return { url: "http://h/bye" };
    }
    return { status: 404, body: null };
  });
  return { ...s, setSession: (v) => { session = v; }, paths: () => s.calls.map((c) => `${c.method} ${c.path}`) };
}

const client = (srv, o = {}) => createAuthClient({ fetch: srv.fetch, logger: quiet, channel: false, ...o });

describe("stubbed", () => {
  test("a session whose refresh token was refused signs the user out", async () => {
    const srv = server("/auth", { signedIn: true });
    srv.setSession({ ...alice, error: "RefreshTokenError" });
    const went = [];
    const a = client(srv, { navigate: (u) => went.push(u) });
    await a.getSession();
    await tick(20);
    assert.ok(srv.paths().includes("POST /auth/signout"), srv.paths().join(", "));
    assert.deepEqual(went, ["http://h/bye"]);
    const srv2 = server("/auth", { signedIn: true });
    srv2.setSession({ ...alice, error: "RefreshTokenError" });
    const off = client(srv2, { signOutOnRefreshError: false, navigate: () => assert.fail("navigated") });
    assert.equal((await off.getSession()).error, "RefreshTokenError");
    await tick(20);
    assert.ok(!srv2.paths().includes("POST /auth/signout"));
  });

  test("an initial session sets the status at once and fetches nothing", async () => {
    const srv = server();
    const a = client(srv, { session: alice });
    assert.deepEqual(a.get(), { status: "authenticated", data: alice });
    const b = client(srv, { session: null });
    assert.equal(b.get().status, "unauthenticated");
    await tick();
    assert.deepEqual(srv.calls, []);
  });

  test("no initial session: loading, one fetch, then the result; concurrent reads share it", async () => {
    const srv = server("/auth", { signedIn: true });
    const a = client(srv);
    assert.equal(a.get().status, "loading");
    const seen = [];
    a.subscribe((s) => seen.push(s.status));
    const all = await Promise.all([a.getSession(), a.getSession(), a.getSession()]);
    assert.deepEqual(all, [alice, alice, alice]);
    assert.deepEqual(srv.paths(), ["GET /auth/session"]);
    assert.equal(srv.calls[0].credentials, "same-origin");
    assert.deepEqual(seen, ["authenticated"]);
    await a.getSession(); // not in flight any more: a new fetch
    assert.equal(srv.calls.length, 2);
  });

  test("lazy waits for subscribe", async () => {
    const srv = server();
    const a = client(srv, { lazy: true });
    await tick();
    assert.equal(srv.calls.length, 0);
    const done = new Promise((r) => a.subscribe(r));
    assert.deepEqual(await done, { status: "unauthenticated", data: null });
  });

  test("credentials sign-in: the form next-auth/react posts", async () => {
    const srv = server("/custom/base");
    const a = client(srv, { session: null, basePath: "/custom/base/" });
    const res = await a.signIn("credentials", { username: "alice", password: "wonderland" },
      { redirect: false, callbackUrl: "http://h/welcome" });
    assert.deepEqual(res, { error: undefined, code: undefined, status: 200, ok: true, url: "http://h/welcome" });
    const post = srv.calls.find((c) => c.method === "POST");
    assert.equal(post.url, "/custom/base/callback/credentials?");
    assert.equal(post.headers["Content-Type"], "application/x-www-form-urlencoded");
    assert.equal(post.headers["X-Auth-Return-Redirect"], "1");
    assert.equal(post.credentials, "same-origin");
    assert.deepEqual(Object.fromEntries(new URLSearchParams(post.body)),
      { username: "alice", password: "wonderland", csrfToken: "tok", callbackUrl: "http://h/welcome" });
    assert.deepEqual(a.get(), { status: "authenticated", data: alice });
    assert.deepEqual(srv.paths(), ["GET /custom/base/providers", "GET /custom/base/csrf",
      "POST /custom/base/callback/credentials", "GET /custom/base/session"]);
  });

  test("next-auth's call form and a wrong password", async () => {
    const srv = server();
    const a = client(srv, { session: null });
    const res = await a.signIn("credentials", { username: "alice", password: "nope", redirect: false, callbackUrl: "/x" });
    assert.deepEqual(res, { error: "CredentialsSignin", code: "credentials", status: 200, ok: true, url: null });
    const f = new URLSearchParams(srv.calls.find((c) => c.method === "POST").body);
    assert.equal(f.get("redirect"), null);
    assert.equal(f.get("callbackUrl"), "/x");
    assert.equal(a.get().status, "unauthenticated");
    assert.ok(!srv.paths().includes("GET /auth/session"));
  });

  test("redirects: OAuth sign-in navigates to the URL the server returns, unknown providers to the sign-in page", async () => {
    const srv = server();
    const went = [];
    const a = client(srv, { session: null, navigate: (u) => went.push(u) });
    await a.signIn("github", {}, { callbackUrl: "http://h/p", authorizationParams: { prompt: "login" } });
    const post = srv.calls.find((c) => c.method === "POST");
    assert.equal(post.url, "/auth/signin/github?prompt=login");
    assert.equal(new URLSearchParams(post.body).get("callbackUrl"), "http://h/p");
    await a.signIn("nope", {}, { callbackUrl: "http://h/p" });
    assert.deepEqual(went, ["https://github.com/login/oauth/authorize?x=1", "/auth/signin?callbackUrl=http%3A%2F%2Fh%2Fp"]);
    assert.equal(srv.paths().filter((p) => p === "GET /auth/providers").length, 1, "providers are cached");
    assert.deepEqual(await a.signIn("nope", {}, { redirect: false }),
      { error: "InvalidProvider", code: undefined, status: 0, ok: false, url: null });
  });

  test("sign-out posts csrfToken and callbackUrl, then navigates or refetches", async () => {
    const srv = server("/auth", { signedIn: true });
    const went = [];
    const a = client(srv, { session: alice, navigate: (u) => went.push(u) });
    assert.deepEqual(await a.signOut({ redirect: false, callbackUrl: "http://h/bye" }), { url: "http://h/bye" });
    const post = srv.calls.find((c) => c.method === "POST");
    assert.equal(post.url, "/auth/signout");
    assert.equal(post.headers["X-Auth-Return-Redirect"], "1");
    assert.deepEqual(Object.fromEntries(new URLSearchParams(post.body)), { csrfToken: "tok", callbackUrl: "http://h/bye" });
    assert.equal(a.get().status, "unauthenticated");
    await a.signOut({ callbackUrl: "http://h/bye" });
    assert.deepEqual(went, ["http://h/bye"]);
  });

  test("a sign-out waits for the session read in flight", async () => {
    let release;
    const gate = new Promise((r) => { release = r; });
    const srv = server("/auth", { signedIn: true });
    const slow = stub(async (req) => {
      if (req.path === "/auth/session" && req.method === "GET" && !slow.released) { await gate; slow.released = true; }
      return srv.fetch(req.url, req).then((r) => r.json());
    });
    const a = client(slow, { session: alice });
    const read = a.getSession();
    const out = a.signOut({ redirect: false });
    await tick(10);
    assert.deepEqual(slow.calls.map((c) => c.path), ["/auth/session"], "nothing else is sent while the read is out");
    release();
    await read;
    await out;
    assert.deepEqual(slow.calls.map((c) => `${c.method} ${c.path}`),
      ["GET /auth/session", "GET /auth/csrf", "POST /auth/signout", "GET /auth/session"]);
    assert.equal(a.get().status, "unauthenticated");
  });

  test("update(data) posts {csrfToken, data}; update() refetches; ignored while loading", async () => {
    const srv = server("/auth", { signedIn: true });
    const a = client(srv, { session: alice });
    const s = await a.update({ name: "Alice Liddell" });
    assert.equal(s.user.name, "Alice Liddell");
    assert.equal(a.get().data.user.name, "Alice Liddell");
    const post = srv.calls.find((c) => c.method === "POST");
    assert.equal(post.path, "/auth/session");
    assert.equal(post.headers["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(post.body), { csrfToken: "tok", data: { name: "Alice Liddell" } });
    assert.deepEqual(await a.update(), alice);
    assert.equal(srv.paths().at(-1), "GET /auth/session");
    const loading = client(server(), { lazy: true });
    assert.equal(await loading.update({ x: 1 }), undefined);
  });

  test("focus refetch: only when visible and signed in, at most once per minRefetchMs", async () => {
    const srv = server("/auth", { signedIn: true });
    const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
    const a = client(srv, { session: alice, document: doc, minRefetchMs: 50 });
    const focus = () => doc.dispatchEvent(new Event("visibilitychange"));
    focus();
    assert.equal(srv.calls.length, 0, "fetched moments ago (the initial session)");
    await tick(60);
    focus(); focus(); focus();
    await tick();
    assert.equal(srv.calls.length, 1);
    await tick(60);
    doc.visibilityState = "hidden";
    focus();
    assert.equal(srv.calls.length, 1);
    const out = client(srv, { session: null, document: doc, minRefetchMs: 0 });
    doc.visibilityState = "visible";
    focus();
    await tick();
    assert.equal(srv.calls.length, 2, "only the signed-in client refetched");
    a.destroy(); out.destroy();
    focus();
    assert.equal(srv.calls.length, 2, "destroy stops listening");
    const off = client(srv, { session: alice, document: doc, minRefetchMs: 0, refetchOnWindowFocus: false });
    focus();
    assert.equal(srv.calls.length, 2);
    off.destroy();
  });

  test("interval refetch while signed in; a session that ends stops it", async () => {
    const srv = server("/auth", { signedIn: true });
    const a = client(srv, { session: alice, refetchInterval: 0.02, minRefetchMs: 0 });
    await tick(75);
    const n = srv.calls.length;
    assert.ok(n >= 2, `polled ${n} times`);
    srv.setSession(null);
    await tick(50);
    assert.equal(a.get().status, "unauthenticated");
    const m = srv.calls.length;
    await tick(60);
    assert.equal(srv.calls.length, m, "no polling while signed out");
    a.destroy();
  });

  test("a failed read keeps the session it had", async () => {
    let fail = false;
    const srv = server("/auth", { signedIn: true });
    const flaky = stub((req) => (fail ? { status: 500, body: { message: "down" } } : srv.fetch(req.url, req).then((r) => r.json())));
    const a = client(flaky);
    await a.getSession();
    fail = true;
    assert.equal(await a.getSession(), null);
    assert.equal(a.get().status, "authenticated");
    const b = client(flaky);
    await b.getSession();
    assert.equal(b.get().status, "unauthenticated", "not loading for ever");
  });

  test("tab sync over BroadcastChannel(\"next-auth\"), with next-auth's messages too", async () => {
    const srv = server("/auth", { signedIn: true });
    const tabA = client(srv, { session: alice, channel: "next-auth" });
    const tabB = client(srv, { session: alice, channel: "next-auth" });
    const nextAuth = new BroadcastChannel("next-auth"); // what next-auth/react listens on
    const heard = [];
    nextAuth.onmessage = (e) => heard.push(e.data);
    const changed = new Promise((r) => tabB.subscribe(r));
    await tabA.signOut({ redirect: false });
    assert.deepEqual(await changed, { status: "unauthenticated", data: null });
    await tick(20);
    assert.deepEqual(heard, [{ event: "session", data: { trigger: "signout" } }]);
    const before = srv.calls.length;
    await tick(20);
    assert.equal(srv.calls.length, before, "tab B did not re-broadcast");

    // next-auth/react signs in elsewhere and broadcasts {trigger: "getSession"}.
    srv.setSession(alice);
    const back = new Promise((r) => tabA.subscribe(r));
    nextAuth.postMessage({ event: "session", data: { trigger: "getSession" } });
    assert.equal((await back).status, "authenticated");
    nextAuth.close(); tabA.destroy(); tabB.destroy();
  });
});

// ---- against a real authgo server ------------------------------------------------

const live = process.env.AUTHGO_TEST_URL; // origin of a server with /auth
const liveAPI = process.env.AUTHGO_TEST_URL_API; // origin of one with /api/auth
const skip = live ? false : "AUTHGO_TEST_URL not set (client_test.go sets it)";

// jarFetch is fetch with a cookie jar, as a browser would keep one.
function jarFetch() {
  const jar = new Map();
  const fetchWithJar = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === "" || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  return { fetch: fetchWithJar, jar };
}

for (const [name, origin, base] of [["/auth", live, "/auth"], ["/api/auth", liveAPI, "/api/auth"]]) {
  describe(`live authgo server, base path ${name}`, { skip: skip || (!origin && "no server for this base path") }, () => {
    test("csrf, providers, sign-in, session, update, sign-out", async () => {
      const { fetch, jar } = jarFetch();
      const a = createAuthClient({ basePath: origin + base, fetch, channel: false, logger: quiet });
      assert.equal(await a.getSession(), null);
      assert.equal(a.get().status, "unauthenticated");
      assert.match(await a.getCsrfToken(), /^[0-9a-f]{64}$/);
      const providers = await a.getProviders();
      assert.equal(providers.credentials.type, "credentials");
      assert.equal(providers.credentials.signinUrl, `${origin}${base}/signin/credentials`);

      const res = await a.signIn("credentials", { username: "alice", password: "wonderland" },
        { redirect: false, callbackUrl: `${origin}/welcome?x=1` });
      assert.deepEqual(res, { error: undefined, code: undefined, status: 200, ok: true, url: `${origin}/welcome?x=1` });
      assert.ok([...jar.keys()].includes("authjs.session-token"));
      assert.equal(a.get().status, "authenticated");
      const s = await a.getSession();
      assert.equal(s.user.name, "Alice");
      assert.equal(s.user.email, "alice@example.com");

      const u = await a.update({ name: "Alice Liddell" });
      assert.equal(u.user.name, "Alice Liddell");
      assert.equal((await a.getSession()).user.name, "Alice Liddell", "the server kept the update");
      assert.deepEqual(await a.update(), a.get().data);

      const out = await a.signOut({ redirect: false, callbackUrl: `${origin}/bye` });
      assert.deepEqual(out, { url: `${origin}/bye` });
      assert.ok(![...jar.keys()].includes("authjs.session-token"));
      assert.deepEqual(a.get(), { status: "unauthenticated", data: null });
      assert.equal(await a.getSession(), null);
    });

    test("a wrong password", async () => {
      const { fetch } = jarFetch();
      const a = createAuthClient({ basePath: origin + base, fetch, channel: false, logger: quiet, session: null });
      const res = await a.signIn("credentials", { username: "alice", password: "looking-glass", redirect: false });
      assert.deepEqual(res, { error: "CredentialsSignin", code: "credentials", status: 200, ok: true, url: null });
      assert.equal(a.get().status, "unauthenticated");
      assert.equal(await a.getSession(), null);
    });

    test("a forged CSRF token on update: 400 null, the session stays", async () => {
      const { fetch, jar } = jarFetch();
      const a = createAuthClient({ basePath: origin + base, fetch, channel: false, logger: quiet, session: null });
      await a.signIn("credentials", { username: "alice", password: "wonderland" }, { redirect: false });
      const token = await a.getCsrfToken();
      assert.ok(token);
      // A forged token: the server answers 400 null and the client keeps its session.
      const res = await fetch(`${origin}${base}/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ csrfToken: "x".repeat(64), data: {} }) });
      assert.equal(res.status, 400);
      assert.equal(await res.json(), null);
      assert.ok(jar.has("authjs.session-token"));
      assert.equal((await a.getSession()).user.name, "Alice");
    });
  });
}
