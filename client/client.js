// authgo browser client: the session, sign-in and sign-out for plain pages.
//
// A dependency-free ES module, served by authgo at <base>/client.js:
//
//   import { createAuthClient } from "/auth/client.js";
//   const auth = createAuthClient({ basePath: "/auth", session: initialFromServer });
//   auth.subscribe(({ status, data }) => render(status, data));
//   await auth.signIn("credentials", { username, password }, { redirect: false });
//
// It speaks the same wire protocol as next-auth/react (X-Auth-Return-Redirect,
// {url} replies, form posts carrying csrfToken and callbackUrl) and shares its
// BroadcastChannel("next-auth"), so this client and a next-auth/react page on
// the same site keep each other's tabs in sync. It makes fewer requests than
// next-auth/react: concurrent session reads share one fetch, window-focus
// refetches are throttled (minRefetchMs), a plain read is never broadcast,
// and a sign-in, sign-out or update waits for a session read in flight, so a
// late reply cannot bring back the cookie the sign-out has just cleared.

const CHANNEL = "next-auth";
const noop = () => {};

/**
 * Creates a client for the endpoints under basePath.
 *
 * @param {object} [options]
 * @param {string} [options.basePath="/auth"] where the endpoints live; may be
 *   an absolute URL ("https://example.com/auth") outside a browser.
 * @param {object|null} [options.session] the session the server rendered the
 *   page with. Given (null included), the status is set at once and nothing is
 *   fetched; undefined means "unknown": status "loading" and a fetch on start.
 * @param {number} [options.refetchInterval=0] seconds between session
 *   refetches while signed in; 0 turns polling off.
 * @param {boolean} [options.refetchOnWindowFocus=true] refetch when the page
 *   becomes visible again, while signed in.
 * @param {number} [options.minRefetchMs=2000] a focus or interval refetch is
 *   skipped when the session was fetched less than this long ago.
 * @param {typeof fetch} [options.fetch] fetch to use (tests, or a wrapper).
 * @param {Document} [options.document] for visibilitychange; globalThis.document by default.
 * @param {(url: string) => void} [options.navigate] how to follow a redirect;
 *   sets location.href by default (and reloads when only the hash changes).
 * @param {string|false} [options.channel="next-auth"] BroadcastChannel name
 *   for tab sync; false turns tab sync (and the cross-tab lock) off.
 * @param {boolean} [options.lazy=false] wait for the first subscribe() or
 *   getSession() before fetching an unknown session.
 * @param {{error: Function}} [options.logger=console]
 * @param {boolean} [options.signOutOnRefreshError=true] sign the user out
 *   when the session says its refresh token was refused
 *   (error "RefreshTokenError"): the tokens are gone, so the session is
 *   only a shell until the next sign-in.
 */
export function createAuthClient(options = {}) {
  const {
    basePath = "/auth",
    session: initial,
    refetchInterval = 0,
    refetchOnWindowFocus = true,
    minRefetchMs = 2000,
    fetch: fetchImpl = (...args) => globalThis.fetch(...args),
    document: doc = globalThis.document,
    navigate = defaultNavigate,
    channel: channelName = CHANNEL,
    lazy = false,
    logger = console,
    signOutOnRefreshError = true,
  } = options;
  const base = String(basePath).replace(/\/+$/, "");
  const lockName = channelName && `authgo-session ${base}`;

  // ---- the session store ----------------------------------------------------

  let state = initial === undefined
    ? { status: "loading", data: null }
    : { status: initial ? "authenticated" : "unauthenticated", data: initial ?? null };
  let lastFetch = initial === undefined ? 0 : Date.now(); // throttles refetches
  const listeners = new Set();

  let signingOut = false;
  function setSession(data) {
    if (data?.error === "RefreshTokenError" && signOutOnRefreshError && !signingOut) {
      signingOut = true;
      // The server refused the refresh token: end the session everywhere
      // (signOut broadcasts to the other tabs).
      Promise.resolve().then(() => signOut({ callbackUrl: globalThis.location?.href })).catch((err) => logger.error(err));
    }
    const next = { status: data ? "authenticated" : "unauthenticated", data: data ?? null };
    if (next.status === state.status && JSON.stringify(next.data) === JSON.stringify(state.data)) return;
    state = next;
    for (const fn of [...listeners]) {
      try { fn(state); } catch (err) { logger.error(err); }
    }
  }

  // ---- transport (next-auth's fetchData) -------------------------------------

  // request fetches <base>/<path> and returns the parsed JSON, or null after
  // logging when the request fails or the status is not 2xx.
  async function request(path, init = {}) {
    try {
      const res = await fetchImpl(`${base}/${path}`, { credentials: "same-origin", ...init });
      const data = await res.json();
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${base}/${path}: HTTP ${res.status}`);
      return data;
    } catch (err) {
      logger.error("[authgo] ClientFetchError:", err?.message ?? err);
      return null;
    }
  }

  // postForm sends a form as next-auth/react's signIn and signOut do; the
  // X-Auth-Return-Redirect header turns the server's redirect into {url}.
  async function postForm(path, fields) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) body.append(k, String(v));
    const res = await fetchImpl(`${base}/${path}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Auth-Return-Redirect": "1" },
      body,
    });
    let data = null;
    try { data = await res.json(); } catch { /* not JSON: no url */ }
    return { res, url: typeof data?.url === "string" ? data.url : null };
  }

  // ---- reading the session: one fetch in flight, mutations exclusive ---------

  let current = null;  // { promise, follow }: the session fetch in flight
  let mutation = null; // the sign-in, sign-out or update POST in flight

  // loadSession fetches <base>/session and stores it. Callers share the
  // fetch in flight; with fresh=true they get one that starts after it (the
  // caller knows the session may have changed since it was sent).
  function loadSession(fresh = false) {
    if (current) {
      if (!fresh) return current.promise;
      current.follow ??= current.promise.then(noop, noop).then(() => loadSession(false));
      return current.follow;
    }
    const entry = { follow: null };
    entry.promise = (async () => {
      try {
        while (mutation) await mutation.catch(noop);
        lastFetch = Date.now();
        const data = await withLock("shared", async () => {
          const res = await fetchImpl(`${base}/session`, { credentials: "same-origin" });
          if (!res.ok) throw new Error(`GET ${base}/session: HTTP ${res.status}`);
          return res.json();
        });
        setSession(data);
        return data;
      } catch (err) {
        // A failed read says nothing about the session: keep what we had,
        // but do not stay "loading" for ever.
        logger.error("[authgo] ClientFetchError:", err?.message ?? err);
        if (state.status === "loading") setSession(null);
        return null;
      } finally {
        if (current === entry) current = null;
      }
    })();
    current = entry;
    return entry.promise;
  }

  // exclusive runs a state-changing POST once no session read or other POST
  // is in flight, and holds new session reads until it is done.
  async function exclusive(fn) {
    while (mutation || current) await (mutation ?? current.promise).catch(noop);
    const p = withLock("exclusive", fn);
    mutation = p;
    try { return await p; } finally { if (mutation === p) mutation = null; }
  }

  // The same rule across tabs: GET <base>/session re-issues the session
  // cookie, so a read that another tab sent just before its sign-out could
  // answer after it and sign the user back in. Reads share a Web Lock and
  // sign-in, sign-out and update take it exclusively (where the browser has
  // navigator.locks; a tab that holds it over 5 s is not waited for).
  async function withLock(mode, fn) {
    const locks = globalThis.navigator?.locks;
    if (!locks || !lockName) return fn();
    let started = false;
    try {
      return await locks.request(lockName, { mode, signal: AbortSignal.timeout(5000) }, () => { started = true; return fn(); });
    } catch (err) {
      if (started) throw err;
      return fn();
    }
  }

  // refresh is a background refetch (focus, interval): only while signed in,
  // as next-auth/react does, and at most once per minRefetchMs.
  function refresh() {
    if (state.status !== "authenticated") return;
    if (Date.now() - lastFetch < minRefetchMs) return;
    if (globalThis.navigator?.onLine === false) return;
    loadSession().catch(noop);
  }

  // ---- tab sync over BroadcastChannel("next-auth") ---------------------------

  let bc = null;
  if (channelName && typeof BroadcastChannel !== "undefined") {
    bc = new BroadcastChannel(channelName);
    // Another tab (or another client on this page) changed the session:
    // refetch without broadcasting, so that tabs cannot ping-pong.
    bc.onmessage = (e) => { if (e.data?.event === "session") loadSession(true).catch(noop); };
  }
  function broadcast(trigger) {
    try { bc?.postMessage({ event: "session", data: { trigger } }); } catch (err) { logger.error(err); }
  }

  // ---- start: focus, interval, initial fetch ---------------------------------

  const onVisibility = () => { if (doc.visibilityState === "visible") refresh(); };
  if (refetchOnWindowFocus && doc?.addEventListener) doc.addEventListener("visibilitychange", onVisibility);
  const timer = refetchInterval > 0 ? setInterval(refresh, refetchInterval * 1000) : null;
  if (state.status === "loading" && !lazy) loadSession().catch(noop);

  // ---- the API ----------------------------------------------------------------

  const getCsrfToken = async () => (await request("csrf"))?.csrfToken ?? "";

  let providersCache = null; // providers do not change while the page lives
  async function getProviders() {
    providersCache ??= request("providers").then((p) => { if (!p) providersCache = null; return p; });
    return providersCache;
  }

  /**
   * signIn(provider, fields, {callbackUrl, redirect = true, authorizationParams}).
   * next-auth's form, signIn(provider, {redirect, callbackUrl, ...fields}), works too.
   * With redirect false it resolves to {error, code, status, ok, url}: error and
   * code come from the returned URL's query (a wrong password gives
   * error "CredentialsSignin", code "credentials", and ok true, as in
   * next-auth: check error), and url is null when there is an error.
   */
  async function signIn(provider, fields = {}, opts = {}) {
    const { redirect: r1, callbackUrl: c1, redirectTo: t1, ...rest } = fields ?? {};
    const redirect = opts.redirect ?? r1 ?? true;
    const callbackUrl = opts.callbackUrl ?? opts.redirectTo ?? t1 ?? c1 ?? globalThis.location?.href;
    const fail = (error, status = 0) => ({ error, code: undefined, status, ok: false, url: null });

    const providers = await getProviders();
    if (!providers) {
      if (redirect) return navigate(`${base}/error`);
      return fail("Configuration");
    }
    const p = provider ? providers[provider] : undefined;
    if (!p) {
      const q = callbackUrl ? `?${new URLSearchParams({ callbackUrl })}` : "";
      if (redirect) return navigate(`${base}/signin${q}`);
      return fail("InvalidProvider");
    }
    if (p.type === "webauthn") throw new TypeError(`provider "${provider}" is a WebAuthn provider, which this client does not drive`);

    const action = p.type === "credentials" ? "callback" : "signin";
    const query = new URLSearchParams(opts.authorizationParams ?? {}).toString();
    const { res, url } = await exclusive(async () => {
      const csrfToken = await getCsrfToken();
      return postForm(`${action}/${encodeURIComponent(provider)}?${query}`, { ...rest, csrfToken, callbackUrl });
    });
    const parsed = url ? new URL(url, globalThis.location?.href ?? "http://localhost") : null;
    const error = parsed ? parsed.searchParams.get("error") ?? undefined : (res.ok ? "Configuration" : "ClientFetchError");
    const code = parsed?.searchParams.get("code") ?? undefined;
    if (!error) broadcast("signin");
    if (redirect) return navigate(url ?? callbackUrl);
    if (!error) await loadSession(true);
    return { error, code, status: res.status, ok: res.ok, url: error ? null : url };
  }

  /**
   * signOut({callbackUrl, redirect = true}). Signs out every tab. With redirect
   * false it resolves to {url} (the page the server would send the user to).
   */
  async function signOut(opts = {}) {
    const redirect = opts.redirect ?? true;
    const callbackUrl = opts.callbackUrl ?? opts.redirectTo ?? globalThis.location?.href;
    const { url } = await exclusive(async () => {
      const csrfToken = await getCsrfToken();
      return postForm("signout", { csrfToken, callbackUrl });
    });
    broadcast("signout");
    if (redirect) return navigate(url ?? callbackUrl);
    await loadSession(true);
    return { url };
  }

  /**
   * update(data): POST {csrfToken, data} to <base>/session (the server's JWT
   * callback sees trigger "update" and data) and store the session it
   * returns; update() with no argument refetches. Ignored while loading, as
   * in next-auth. Resolves to the new session, or null on failure.
   */
  async function update(data) {
    if (state.status === "loading") return undefined;
    let session;
    if (data === undefined) {
      session = await loadSession(true);
    } else {
      session = await exclusive(async () => {
        const csrfToken = await getCsrfToken();
        return request("session", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ csrfToken, data }),
        });
      });
      if (session !== null) { lastFetch = Date.now(); setSession(session); }
    }
    if (session) broadcast("update");
    return session;
  }

  return {
    basePath: base,
    /** Fetches the session (sharing a fetch in flight), stores and returns it. */
    getSession: () => loadSession(),
    getCsrfToken,
    getProviders,
    signIn,
    signOut,
    update,
    /** The store: {status: "loading"|"unauthenticated"|"authenticated", data}. */
    get: () => state,
    /** Calls fn(state) on every change; returns the unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      if (state.status === "loading" && !current) loadSession().catch(noop);
      return () => listeners.delete(fn);
    },
    /** Stops listening: focus, interval, BroadcastChannel. */
    destroy() {
      listeners.clear();
      if (timer) clearInterval(timer);
      doc?.removeEventListener?.("visibilitychange", onVisibility);
      bc?.close();
      bc = null;
    },
  };
}

function defaultNavigate(url) {
  const loc = globalThis.location;
  if (!loc) throw new Error(`[authgo] cannot navigate to ${url} outside a browser: pass redirect: false`);
  loc.href = url;
  // Changing only the hash does not reload the page; the session did change.
  if (url.includes("#")) loc.reload();
}

// ---- convenience exports on a default client ----------------------------------

let defaultClient = null;

/**
 * The client the top-level functions use, created on first use. Its base
 * path comes from <meta name="authgo-base-path" content="/auth">, else
 * "/auth"; it fetches the session only when asked (subscribe, getSession).
 */
export function authClient() {
  if (!defaultClient) {
    const meta = globalThis.document?.querySelector?.('meta[name="authgo-base-path"]');
    defaultClient = createAuthClient({ basePath: meta?.getAttribute("content") || "/auth", lazy: true });
  }
  return defaultClient;
}

export const getSession = () => authClient().getSession();
export const getCsrfToken = () => authClient().getCsrfToken();
export const getProviders = () => authClient().getProviders();
export const signIn = (provider, fields, opts) => authClient().signIn(provider, fields, opts);
export const signOut = (opts) => authClient().signOut(opts);
