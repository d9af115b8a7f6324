import React, { useState } from "react";
import { signIn, signOut, useSession } from "next-auth/react";

// Messages for the error codes authgo (and Auth.js) put in ?error=.
const messages = {
  CredentialsSignin: "That username and password do not match.",
  MissingCSRF: "The form expired. Please try again.",
  AccessDenied: "You are not allowed to sign in.",
};

export default function App({ basePath }) {
  const { data: session, status, update } = useSession();

  return (
    <main className="shell">
      <header className="brand">
        <span className="logo" aria-hidden="true">◆</span>
        <span>authgo</span>
        <span className="muted">× next-auth/react</span>
      </header>

      <section className="card" aria-live="polite">
        <p className="status-line">
          <span className={`dot ${status}`} aria-hidden="true" />
          <span id="status" data-testid="status" data-status={status}>{status}</span>
        </p>

        {status === "loading" && <p className="muted" id="loading">Checking your session…</p>}

        {status === "authenticated" && (
          <Profile session={session} onRefresh={() => update()} />
        )}

        {status === "unauthenticated" && <SignInForm />}
      </section>

      <footer className="muted small">
        Session from <code>{basePath}/session</code> via <code>SessionProvider</code> and{" "}
        <code>useSession()</code>. Open a second tab: signing out here signs it out too.
      </footer>
    </main>
  );
}

function Profile({ session, onRefresh }) {
  const user = session?.user ?? {};
  const initial = (user.name || user.email || "?").trim().charAt(0).toUpperCase();
  return (
    <div className="profile" id="profile" data-testid="profile">
      <div className="who">
        {user.image
          ? <img className="avatar" src={user.image} alt="" />
          : <span className="avatar" aria-hidden="true">{initial}</span>}
        <div>
          <h1 id="user-name" data-testid="user-name">{user.name ?? "Signed in"}</h1>
          <p id="user-email" data-testid="user-email" className="muted">{user.email ?? ""}</p>
        </div>
      </div>
      <p className="muted small" id="expires" data-testid="expires">
        Session valid until {session?.expires ? new Date(session.expires).toLocaleString() : "—"}
      </p>
      <div className="actions">
        <button type="button" className="secondary" id="refresh" data-testid="refresh" onClick={onRefresh}>
          Refresh session
        </button>
        <button type="button" id="signout" data-testid="signout" onClick={() => signOut()}>
          Sign out
        </button>
      </div>
    </div>
  );
}

function SignInForm() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function onSubmit(e) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError("");
    try {
      const res = await signIn("credentials", {
        username: form.get("username"),
        password: form.get("password"),
        redirect: false,
      });
      if (res?.error) setError(messages[res.error] ?? `Sign-in failed (${res.error}).`);
    } catch (err) {
      setError("The server could not be reached. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form id="signin-form" data-testid="signin-form" onSubmit={onSubmit} noValidate>
      <h1>Sign in</h1>
      <label>
        Username
        <input id="username" name="username" autoComplete="username" required autoFocus />
      </label>
      <label>
        Password
        <input id="password" name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p className="error" id="signin-error" data-testid="signin-error" role="alert">{error}</p>
      )}
      <button type="submit" id="signin-submit" data-testid="signin-submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
