#!/usr/bin/env node
// Batch wrapper around the real @auth/core session-token codec (`@auth/core/jwt`)
// and the real CSRF cookie hash, for authgo's interop tests.
//
// stdin : ONE JSON array of operations
// stdout: ONE JSON array of results, same length and order
//
//   {"op":"encode","secret":S,"salt":"...","maxAge"?:N,"token":{...}} -> {"ok":true,"token":"<JWE>"}
//   {"op":"decode","secret":S,"salt":"...","token":"<JWE>"}            -> {"ok":true,"payload":{...}|null}
//                                                                     or {"ok":false,"error":"<name>: <message>","code"?:"ERR_..."}
//   {"op":"csrf","secret":S,"token":"<csrf token>"}                   -> {"ok":true,"hash":"<64 hex>","cookie":"<token>|<hash>"}
//
// S is a string or an array of strings (newest first), exactly as Auth.js's `secret` option.
// A failing operation yields {"ok":false,...}; it never aborts the batch.

import { encode, decode } from "@auth/core/jwt";

// The CSRF hash helper (`createHash` in lib/utils/web.js) is not in @auth/core's
// package "exports", so load the real module by file path next to the resolved
// `@auth/core/jwt` entry point. If that ever fails, fall back to an identical copy.
let createHash;
try {
  const webJs = new URL("./lib/utils/web.js", import.meta.resolve("@auth/core/jwt"));
  ({ createHash } = await import(webJs.href));
  if (typeof createHash !== "function") throw new Error("createHash not found");
} catch {
  createHash = async (message) => {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(message));
    return Buffer.from(digest).toString("hex");
  };
}

// Same expression as createCSRFToken() in lib/actions/callback/oauth/csrf-token.js:
//   createHash(`${csrfToken}${options.secret}`)
// A template literal stringifies an array secret by joining it with ",".
async function csrfHash(token, secret) {
  return createHash(`${token}${secret}`);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function describeError(e) {
  const out = { ok: false };
  if (e instanceof Error) {
    out.error = `${e.name}: ${e.message}`;
    if (typeof e.code === "string") out.code = e.code;
  } else {
    out.error = `Error: ${String(e)}`;
  }
  return out;
}

async function run(op) {
  if (op === null || typeof op !== "object" || Array.isArray(op)) {
    throw new TypeError("operation must be a JSON object");
  }
  switch (op.op) {
    case "encode": {
      const params = { secret: op.secret, salt: op.salt, token: op.token };
      if (op.maxAge !== undefined && op.maxAge !== null) params.maxAge = op.maxAge;
      return { ok: true, token: await encode(params) };
    }
    case "decode": {
      const payload = await decode({ secret: op.secret, salt: op.salt, token: op.token });
      return { ok: true, payload: payload ?? null };
    }
    case "csrf": {
      const hash = await csrfHash(op.token, op.secret);
      return { ok: true, hash, cookie: `${op.token}|${hash}` };
    }
    default:
      throw new TypeError(`unknown op ${JSON.stringify(op.op)}`);
  }
}

let ops;
try {
  ops = JSON.parse(await readStdin());
} catch (e) {
  process.stderr.write(`jwt.mjs: cannot parse stdin as JSON: ${e.message}\n`);
  process.exit(2);
}
if (!Array.isArray(ops)) {
  process.stderr.write("jwt.mjs: stdin must be a JSON array of operations\n");
  process.exit(2);
}

const results = [];
for (const op of ops) {
  try {
    results.push(await run(op));
  } catch (e) {
    results.push(describeError(e));
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
