// authgo passkeys: the WebAuthn ceremonies of the built-in sign-in page.
// Served by authgo from its base path (<base>/passkey.js); it loads
// nothing from anywhere else. It asks <base>/webauthn-options/<id> what to
// do (sign in or register), lets the browser make or use a credential, and
// posts the result in the page's form to <base>/callback/<id>.
"use strict";
(() => {
  const form = document.getElementById("authgo-passkey");
  if (!form || !window.PublicKeyCredential) {
    if (form) showError(form, "This browser does not support passkeys.");
    return;
  }
  const email = form.elements.namedItem("email");
  let conditional = null; // the AbortController of the autofill request
  // The autofill's options request: the button waits for it, so that its
  // own challenge cookie is the one left.
  let pending = Promise.resolve();

  function showError(f, msg) {
    const el = f.querySelector("[data-passkey-error]");
    if (el) {
      el.textContent = msg;
      el.hidden = false;
    }
  }
  function toB64url(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromB64url(str) {
    const s = str.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(s + "===".slice((s.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function descriptors(list) {
    return (list || []).map((d) => ({ ...d, id: fromB64url(d.id) }));
  }
  // credentialJSON is the credential as @simplewebauthn/browser posts it.
  function credentialJSON(c) {
    const r = c.response;
    const response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: c.id,
      rawId: toB64url(c.rawId),
      type: c.type,
      response,
      clientExtensionResults: c.getClientExtensionResults(),
      authenticatorAttachment: c.authenticatorAttachment || undefined,
    };
  }
  async function options(params) {
    const q = new URLSearchParams(params);
    const res = await fetch(form.dataset.options + "?" + q, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok || !body.options) {
      if (res.status === 400 && form.dataset.mode !== "add") throw new Error("No passkey can be used or made for this address.");
      throw new Error("Passkeys are not available at the moment. Please try again.");
    }
    return body;
  }
  let posted = false; // one credential is posted, whichever came first
  function post(action, credential) {
    if (posted) return;
    posted = true;
    form.elements.namedItem("action").value = action;
    form.elements.namedItem("data").value = JSON.stringify(credentialJSON(credential));
    HTMLFormElement.prototype.submit.call(form);
  }
  async function ceremony(action, opts, signal, mediation) {
    if (action === "register") {
      const pk = {
        ...opts,
        challenge: fromB64url(opts.challenge),
        user: { ...opts.user, id: fromB64url(opts.user.id) },
        excludeCredentials: descriptors(opts.excludeCredentials),
      };
      return navigator.credentials.create({ publicKey: pk, signal });
    }
    const pk = { ...opts, challenge: fromB64url(opts.challenge), allowCredentials: descriptors(opts.allowCredentials) };
    const req = { publicKey: pk, signal };
    if (mediation) req.mediation = mediation;
    return navigator.credentials.get(req);
  }

  // The button: register (adding a passkey, or a new address) or sign in.
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (posted) return;
    if (conditional) conditional.abort();
    await pending.catch(() => {});
    const params = {};
    if (form.dataset.mode === "add") params.action = "register";
    else if (email && email.value.trim() !== "") params.email = email.value.trim();
    try {
      const { action, options: opts } = await options(params);
      const cred = await ceremony(action, opts);
      if (cred) post(action, cred);
    } catch (e) {
      showError(form, e && e.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : (e && e.message) || "The passkey request failed.");
    }
  });

  // Passkey autofill: the browser offers its passkeys in the email field.
  (async () => {
    if (!email || form.dataset.mode === "add" || !PublicKeyCredential.isConditionalMediationAvailable) return;
    if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
    conditional = new AbortController();
    const signal = conditional.signal;
    try {
      pending = options({ action: "authenticate" });
      const { options: opts } = await pending;
      if (signal.aborted) return;
      const cred = await ceremony("authenticate", opts, signal, "conditional");
      if (cred && !signal.aborted) post("authenticate", cred);
    } catch (e) {
      // Nothing to show: the user may not have a passkey here, and the
      // button still works.
      if (!signal.aborted && window.console) console.debug("passkey autofill:", e && e.name);
    }
  })();
})();
