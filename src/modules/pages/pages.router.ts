import { Hono } from "hono";
import type { AppEnv } from "../../app-env.ts";
import { PAGE_POLICY } from "../docs/index.ts";
import { ACCEPT_INVITE_PAGE, ACCOUNT_PAGES_CSS, ACCOUNT_PAGES_SCRIPT, RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE } from "./account-pages.ts";

const serve = (body: string, type: string) =>
  new Response(body, {
    headers: {
      "content-type": type,
      "content-security-policy": PAGE_POLICY,
      // The token is in the URL that opened the page: no other origin hears of it.
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });

const html = "text/html; charset=utf-8";

/** The emailed links' pages, and `/` for a browser (which wants the documentation). */
export const pagesRouter = new Hono<AppEnv>()
  .get("/", (c) => c.redirect("/docs", 302))
  .get("/accept-invite", () => serve(ACCEPT_INVITE_PAGE, html))
  .get("/reset-password", () => serve(RESET_PASSWORD_PAGE, html))
  .get("/verify-email", () => serve(VERIFY_EMAIL_PAGE, html))
  .get("/pages/account.js", () => serve(ACCOUNT_PAGES_SCRIPT, "text/javascript; charset=utf-8"))
  .get("/pages/account.css", () => serve(ACCOUNT_PAGES_CSS, "text/css; charset=utf-8"));
