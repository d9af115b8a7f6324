#!/usr/bin/env node
// A live, unmodified @auth/core server behind Node's `http` module, used as the
// reference implementation in authgo's interop tests and load benchmark.
//
// Environment:
//   AUTH_SECRET      required; "a,b,c" becomes ["a","b","c"] (newest first: a encrypts)
//   BASE_PATH        default "/auth"
//   PORT             default 0 (random free port)
//   SESSION_MAX_AGE  optional, seconds (session.maxAge; jwt.maxAge follows it)
//   AUTH_QUIET       if "1", Auth.js errors are not written to stderr either
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

if (process.env.SESSION_MAX_AGE) {
  const maxAge = Number.parseInt(process.env.SESSION_MAX_AGE, 10);
  if (!Number.isFinite(maxAge) || maxAge <= 0) {
    process.stderr.write(`server.mjs: bad SESSION_MAX_AGE ${JSON.stringify(process.env.SESSION_MAX_AGE)}\n`);
    process.exit(2);
  }
  config.session.maxAge = maxAge;
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
    process.exit(0);
  });
}
