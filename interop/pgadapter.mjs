#!/usr/bin/env node
// Batch wrapper around the real @auth/pg-adapter's own methods, for
// authgo's interop tests: what Auth.js would write to (and read from) a
// shared PostgreSQL database, without going through HTTP.
//
// Environment: AUTHJS_DATABASE_URL, the database (postgres://…).
//
// stdin : ONE JSON array of operations {"op":"<adapter method>","args":[...]}
// stdout: ONE JSON array of results, same length and order:
//           {"ok":true,"result":<the method's return value, JSON; undefined → null>}
//        or {"ok":false,"error":"<name>: <message>"}
//
// The op is any method the adapter object has (createUser, getUser,
// getUserByEmail, getUserByAccount, updateUser, linkAccount, unlinkAccount,
// createSession, getSessionAndUser, updateSession, deleteSession, deleteUser,
// createVerificationToken, useVerificationToken). Arguments are passed as
// Auth.js passes them, except that JSON has no dates: a string under the
// keys "expires" or "emailVerified" becomes a Date. Results keep pg's types
// (SERIAL ids are numbers, dates ISO strings). A failing operation never
// aborts the batch.

import PostgresAdapter from "@auth/pg-adapter";
import pg from "pg";

const databaseURL = process.env.AUTHJS_DATABASE_URL ?? "";
if (!/^postgres(ql)?:\/\//.test(databaseURL)) {
  process.stderr.write("pgadapter.mjs: AUTHJS_DATABASE_URL must be a postgres:// URL\n");
  process.exit(2);
}

const dateKeys = new Set(["expires", "emailVerified"]);

// revive turns the date fields of an argument into Dates, recursively.
function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v === null || typeof v !== "object") return v;
  const out = {};
  for (const [k, e] of Object.entries(v)) {
    out[k] = dateKeys.has(k) && typeof e === "string" ? new Date(e) : revive(e);
  }
  return out;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

let ops;
try {
  ops = JSON.parse(await readStdin());
} catch (e) {
  process.stderr.write(`pgadapter.mjs: cannot parse stdin as JSON: ${e.message}\n`);
  process.exit(2);
}
if (!Array.isArray(ops)) {
  process.stderr.write("pgadapter.mjs: stdin must be a JSON array of operations\n");
  process.exit(2);
}

const pool = new pg.Pool({ connectionString: databaseURL, max: 1 });
const adapter = PostgresAdapter(pool);
const results = [];
for (const op of ops) {
  try {
    if (op === null || typeof op !== "object" || typeof op.op !== "string" || !Object.hasOwn(adapter, op.op)) {
      throw new TypeError(`unknown op ${JSON.stringify(op?.op)}`);
    }
    const args = Array.isArray(op.args) ? op.args.map(revive) : [];
    const result = await adapter[op.op](...args);
    results.push({ ok: true, result: result ?? null });
  } catch (e) {
    results.push({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : `Error: ${String(e)}` });
  }
}
await pool.end();
process.stdout.write(JSON.stringify(results) + "\n");
