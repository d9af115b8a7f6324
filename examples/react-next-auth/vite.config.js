// `vite build` needs none of this: in a build Vite replaces process.env with
// {}. The dev server does not, and next-auth/react reads these three at
// import time, so they are defined here (undefined: use the relative
// basePath given to SessionProvider). The dev server also proxies the auth
// endpoints to authgo, so the page and /auth share one origin.
import { defineConfig } from "vite";

const authgo = process.env.AUTHGO_URL ?? "http://127.0.0.1:3000";
const basePath = process.env.VITE_AUTH_BASE_PATH ?? "/auth";

export default defineConfig({
  define: {
    "process.env.NEXTAUTH_URL": "undefined",
    "process.env.NEXTAUTH_URL_INTERNAL": "undefined",
    "process.env.VERCEL_URL": "undefined",
  },
  server: {
    proxy: { [basePath]: { target: authgo } },
  },
  build: {
    rollupOptions: {
      // next-auth/react starts with "use client", which means nothing here.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
