import React from "react";
import { createRoot } from "react-dom/client";
import { SessionProvider } from "next-auth/react";
import App from "./App.jsx";

// The endpoints live at /auth on this origin (authgo's default; next-auth's
// is /api/auth). VITE_AUTH_BASE_PATH at build time picks another.
const basePath = import.meta.env.VITE_AUTH_BASE_PATH || "/auth";

createRoot(document.getElementById("root")).render(
  <SessionProvider basePath={basePath}>
    <App basePath={basePath} />
  </SessionProvider>,
);
