#!/usr/bin/env node
// A live, unmodified @auth/core server behind Node's `http` module, used as the
// reference implementation in authgo's interop tests and load benchmark.
//
// Environment:
//   AUTH_SECRET      required; "a,b,c" becomes ["a","b","c"] (newest first: a encrypts)
//   BASE_PATH        default "/auth"
//   PORT             default 0 (random free port)
//   SESSION_MAX_AGE  optional, seconds (session.maxAge; jwt.maxAge follows it)
//   SESSION_UPDATE_AGE optional, seconds (session.updateAge; 0 rewrites the row on every read)
//   AUTH_QUIET       if "1", Auth.js errors are not written to stderr either
//
// Database mode, when AUTHJS_DATABASE_URL is set (postgres://…): the
// session strategy is "database" through the real @auth/pg-adapter on a pg
// Pool, and the Credentials users below are replaced by one OpenID Connect
// provider, present when its issuer is given:
//   AUTHJS_DATABASE_URL        the database (its schema made by pg-adapter's schema.sql or authgo migrate)
//   AUTHJS_DATABASE_POOL_MAX   the pool's size, default 10 (pg's default)
//   AUTHJS_OIDC_ISSUER         the issuer (discovery at <issuer>/.well-known/openid-configuration)
//   AUTHJS_OIDC_CLIENT_ID, AUTHJS_OIDC_CLIENT_SECRET   the client at that issuer
//   AUTHJS_OIDC_ID             the provider id, default "oidc" (as authgo's providers/oidc)
//   AUTHJS_EMAIL               "1": an email provider (id "nodemailer", as @auth/core's
//                              Nodemailer, maxAge 24 h) whose sendVerificationRequest keeps
//                              each link instead of mailing it; GET /__test/mail returns
//                              them as JSON [{identifier, url, expires}] (a test endpoint)
//
// Prints exactly one line "listening http://127.0.0.1:<port>" to stdout once ready.
// Request.url is always http://<Host header><path>; X-Forwarded-* are ignored.

import http from "node:http";
import { Auth } from "@auth/core";
import Credentials from "@auth/core/providers/credentials";

const rawSecret = process.env.AUTH_SECRET ?? "";
if (!rawSecret) {
  process.stderr.write("server.mjs: AUTH_SECRET is required\n");
  process.exit(2);
}
const secret = rawSecret.includes(",") ? rawSecret.split(",") : rawSecret;
const basePath = process.env.BASE_PATH || "/auth";
const port = Number.parseInt(process.env.PORT ?? "0", 10) || 0;
const quiet = process.env.AUTH_QUIET === "1";
const databaseURL = process.env.AUTHJS_DATABASE_URL ?? "";

function fail(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(2);
}

// whole reads an optional environment variable holding a whole number.
function whole(name, { allowZero }) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !allowZero)) fail(`bad ${name} ${JSON.stringify(raw)}`);
  return n;
}

const users = {
  alice: {
    password: "wonderland",
    user: { id: "user-1", name: "Alice", email: "alice@example.com", image: "https://example.com/alice.png" },
  },
  bob: {
    password: "builder",
    user: { id: "user-2", name: "Bob Builder", email: "bob@example.com" },
  },
  // A 5000-character name makes the session JWE longer than 3936 chars → chunked cookie.
  big: {
    password: "big",
    user: { id: "user-big", name: "x".repeat(5000), email: "big@example.com" },
  },
};

const config = {
  basePath,
  secret,
  trustHost: true,
  session: { strategy: "jwt" },
  providers: [
    Credentials({
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials) {
        const username = typeof credentials?.username === "string" ? credentials.username : "";
        const password = typeof credentials?.password === "string" ? credentials.password : "";
        const entry = Object.hasOwn(users, username) ? users[username] : undefined;
        if (!entry || entry.password !== password) return null;
        return { ...entry.user };
      },
    }),
  ],
  logger: {
    error(error) {
      if (quiet) return;
      const name = error?.type ?? error?.name ?? "Error";
      process.stderr.write(`[auth][error] ${name}: ${error?.message ?? String(error)}\n`);
    },
    warn() {},
    debug() {},
  },
};

const maxAge = whole("SESSION_MAX_AGE", { allowZero: false });
if (maxAge !== undefined) config.session.maxAge = maxAge;
const updateAge = whole("SESSION_UPDATE_AGE", { allowZero: true });
if (updateAge !== undefined) config.session.updateAge = updateAge;

// pool is the database mode's pg Pool, ended on exit.
let pool;
// mails are the links the email provider would have sent.
const mails = [];
if (databaseURL) {
  if (!/^postgres(ql)?:\/\//.test(databaseURL)) fail("AUTHJS_DATABASE_URL must be a postgres:// URL");
  // Loaded only in this mode, so that the JWT mode runs without them.
  const { default: PostgresAdapter } = await import("@auth/pg-adapter");
  const { default: pg } = await import("pg");
  pool = new pg.Pool({
    connectionString: databaseURL,
    max: whole("AUTHJS_DATABASE_POOL_MAX", { allowZero: false }) ?? 10,
  });
  // An idle client's error (the server restarted) must not end the process.
  pool.on("error", (err) => {
    if (!quiet) process.stderr.write(`server.mjs: pool: ${err?.message ?? err}\n`);
  });
  config.adapter = PostgresAdapter(pool);
  config.session.strategy = "database";
  config.providers = [];
  const issuer = process.env.AUTHJS_OIDC_ISSUER ?? "";
  if (issuer) {
    const clientId = process.env.AUTHJS_OIDC_CLIENT_ID ?? "";
    if (!clientId) fail("AUTHJS_OIDC_CLIENT_ID is required with AUTHJS_OIDC_ISSUER");
    config.providers.push({
      id: process.env.AUTHJS_OIDC_ID || "oidc",
      name: "OpenID Connect",
      type: "oidc",
      issuer,
      clientId,
      clientSecret: process.env.AUTHJS_OIDC_CLIENT_SECRET ?? "",
    });
  }
  if (process.env.AUTHJS_EMAIL === "1") {
    // @auth/core's Nodemailer provider without its transport (which would
    // need the nodemailer package): the same id, type and maxAge, and the
    // link kept rather than sent.
    config.providers.push({
      id: "nodemailer",
      type: "email",
      name: "Email",
      maxAge: 24 * 60 * 60,
      async sendVerificationRequest({ identifier, url, expires }) {
        mails.push({ identifier, url, expires: expires.toISOString() });
      },
      options: {},
    });
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function toHeaders(nodeHeaders) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

async function handle(req, res) {
  if (req.url === "/__test/mail") {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(mails));
    return;
  }
  const host = req.headers.host || `127.0.0.1:${server.address().port}`;
  let url;
  try {
    url = new URL(`http://${host}${req.url}`);
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("bad request URL\n");
    return;
  }
  const init = { method: req.method, headers: toHeaders(req.headers) };
  // Auth.js reads a body only for POST; other methods are rejected by Auth() itself.
  if (req.method === "POST") init.body = await readBody(req);
  else req.resume();

  const response = await Auth(new Request(url, init), config);

  res.statusCode = response.status;
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : Buffer.alloc(0);
  res.end(body);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    process.stderr.write(`server.mjs: ${err?.stack ?? err}\n`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error\n");
  });
});
server.keepAliveTimeout = 65_000;

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections?.();
    const end = pool ? pool.end().catch(() => {}) : Promise.resolve();
    end.finally(() => process.exit(0));
  });
}
