// The pages an emailed link opens when the product has no front end of its own (APP_URL unset):
// plain, accessible forms that call this API. An app with its own front end sets APP_URL and
// never serves them.

type Page = { name: string; title: string; intro: string; fields: string; submit: string };

const layout = ({ name, title, intro, fields, submit }: Page) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/pages/account.css">
</head>
<body data-page="${name}">
<main>
<h1>${title}</h1>
<p>${intro}</p>
<form novalidate>
${fields}
<button type="submit">${submit}</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<p class="small"><a href="/docs">The API documentation</a></p>
</main>
<script src="/pages/account.js"></script>
</body>
</html>`;

const field = (id: string, label: string, attributes: string, hint?: string) => `<label for="${id}">${label}</label>
${hint ? `<p class="hint" id="${id}-hint">${hint}</p>` : ""}<input id="${id}" name="${id}" ${attributes}${hint ? ` aria-describedby="${id}-hint"` : ""}>`;

export const ACCEPT_INVITE_PAGE = layout({
  name: "accept-invite",
  title: "Accept your invitation",
  intro:
    "Join the organisation that invited you. New here? Give your name and choose a password. Already have an account? Give its password.",
  fields: [
    field("name", "Your name", 'autocomplete="name" maxlength="100"', "Only for a new account."),
    field(
      "password",
      "Password",
      'type="password" autocomplete="current-password" required minlength="8" maxlength="72"',
      "At least 8 characters.",
    ),
  ].join("\n"),
  submit: "Join",
});

export const RESET_PASSWORD_PAGE = layout({
  name: "reset-password",
  title: "Choose a new password",
  intro: "The link in your email works once. Every session of your account will be signed out.",
  fields: [
    field(
      "password",
      "New password",
      'type="password" autocomplete="new-password" required minlength="8" maxlength="72"',
      "At least 8 characters.",
    ),
    field("confirm", "The same again", 'type="password" autocomplete="new-password" required minlength="8" maxlength="72"'),
  ].join("\n"),
  submit: "Set the new password",
});

export const VERIFY_EMAIL_PAGE = layout({
  name: "verify-email",
  title: "Confirm your email address",
  intro: "Confirm that this address is yours.",
  fields: "",
  submit: "Confirm",
});

export const ACCOUNT_PAGES_CSS = `body{font:16px/1.5 system-ui,sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
label{display:block;font-weight:600;margin-top:1rem}input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;margin-top:.25rem}
button{margin-top:1.5rem;font:inherit;padding:.5rem 1.2rem;cursor:pointer}.hint,.small{color:#57606a;font-size:.875rem;margin:.2rem 0}
#status{font-weight:600}#status.error{color:#cf222e}#status.ok{color:#1a7f37}`;

/**
 * The pages' one script. The token is read from the link and at once taken out of the address
 * bar and history; it is only ever sent to this origin's API (the page policy allows no other).
 */
export const ACCOUNT_PAGES_SCRIPT = `"use strict";
(() => {
  const page = document.body.dataset.page;
  const token = new URLSearchParams(location.search).get("token");
  if (token) history.replaceState(null, "", location.pathname);
  const form = document.querySelector("form");
  const status = document.getElementById("status");
  const say = (text, ok) => { status.textContent = text; status.className = ok ? "ok" : "error"; };
  const value = (id) => (document.getElementById(id) || { value: "" }).value;
  if (!token) { form.hidden = true; return say("This link has no token: open the link from your email again.", false); }

  const requests = {
    "accept-invite": () => ({ path: "/api/users/accept-invite", body: { token, password: value("password"), ...(value("name").trim() ? { name: value("name") } : {}) } }),
    "reset-password": () => ({ path: "/api/auth/reset-password", body: { token, newPassword: value("password") } }),
    "verify-email": () => ({ path: "/api/auth/verify-email", body: { token } }),
  };
  const done = {
    "accept-invite": (data) => "You have joined " + data.organisation.name + " as " + data.user.role + ". Sign in to the app with this email and password.",
    "reset-password": () => "Your password is changed. Sign in with the new one.",
    "verify-email": () => "Your email address is confirmed.",
  };

  async function submit(event) {
    if (event) event.preventDefault();
    if (page === "reset-password" && value("password") !== value("confirm")) return say("The two passwords differ.", false);
    const { path, body } = requests[page]();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const answer = await response.json().catch(() => null);
      if (response.ok) { form.hidden = true; say(done[page](answer.data), true); }
      else say((answer && answer.message) || "Something went wrong (" + response.status + ").", false);
    } catch {
      say("The server could not be reached; try again.", false);
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener("submit", submit);
  if (page === "verify-email") submit();
})();
`;
