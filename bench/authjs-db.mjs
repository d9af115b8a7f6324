#!/usr/bin/env node
// The real Auth.js with the database strategy, for bench/db.sh: @auth/core's
// Auth() with @auth/pg-adapter on a pg Pool, behind Node's http module.
// Two routes:
//   /auth/*     Auth() itself (GET /auth/session reads the sessions row);
//   /mypage/*   a guarded page: it asks Auth() for the session, as
//               next-auth's auth() does in a Next.js middleware, and answers
//               "Signed in as <name>" (the session cookie Auth() re-sends
//               goes out too), or a redirect to /auth/signin without one.
//
// Environment: AUTHJS_DATABASE_URL (postgres://…, pg-adapter's schema),
// AUTH_SECRET, PORT (default 3305), POOL_MAX (default 10, pg's default).
// bench/db.sh runs a copy in bench/out beside a link to
// interop/node_modules, where @auth/pg-adapter and pg are installed for the
// run (npm install --no-save) unless interop pins them.
import http from "node:http";
import { Auth } from "@auth/core";
import PostgresAdapter from "@auth/pg-adapter";
import pg from "pg";

const databaseURL = process.env.AUTHJS_DATABASE_URL ?? "";
const secret = process.env.AUTH_SECRET ?? "";
if (!/^postgres(ql)?:\/\//.test(databaseURL) || !secret) {
  process.stderr.write("authjs-db.mjs: AUTHJS_DATABASE_URL (postgres://…) and AUTH_SECRET are required\n");
  process.exit(2);
}
const port = Number(process.env.PORT || 3305);
const pool = new pg.Pool({ connectionString: databaseURL, max: Number(process.env.POOL_MAX || 10) });
pool.on("error", () => {}); // an idle client's error must not end the process

const config = {
  basePath: "/auth",
  secret,
  trustHost: true,
  adapter: PostgresAdapter(pool),
  session: { strategy: "database" },
  providers: [],
  logger: { error() {}, warn() {}, debug() {} },
};

function headersOf(req) {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) v.forEach((x) => h.append(k, x));
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}

async function send(res, response) {
  res.statusCode = response.status;
  for (const [k, v] of response.headers) if (k !== "set-cookie") res.setHeader(k, v);
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  res.end(Buffer.from(await response.arrayBuffer()));
}

async function handle(req, res) {
  const origin = `http://${req.headers.host}`;
  if (req.url.startsWith("/auth/")) {
    const init = { method: req.method, headers: headersOf(req) };
    if (req.method === "POST") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      init.body = Buffer.concat(chunks);
    }
    await send(res, await Auth(new Request(origin + req.url, init), config));
    return;
  }
  if (req.url.startsWith("/mypage/")) {
    req.resume();
    const r = await Auth(new Request(origin + "/auth/session", { headers: headersOf(req) }), config);
    const session = await r.json();
    const cookies = r.headers.getSetCookie();
    if (cookies.length) res.setHeader("set-cookie", cookies);
    if (!session?.user) {
      res.writeHead(302, { location: "/auth/signin" }).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(`Signed in as ${session.user.name}\n`);
    return;
  }
  req.resume();
  res.writeHead(404).end();
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => process.stdout.write(`listening http://127.0.0.1:${port}\n`));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
