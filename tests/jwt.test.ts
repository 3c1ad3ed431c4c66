import { afterEach, expect, setSystemTime, test } from "bun:test";
import { createAccessTokenVerifier, signAccessToken } from "../src/lib/jwt.ts";

const SECRET = "a-secret-that-is-long-enough-for-the-tests-0123";
const claims = () => ({ userId: crypto.randomUUID(), orgId: crypto.randomUUID(), role: "MEMBER" as const, sessionId: crypto.randomUUID() });

afterEach(() => setSystemTime());

test("a remembered token is refused once it expires", () => {
  const verify = createAccessTokenVerifier(SECRET);
  const token = signAccessToken(claims(), SECRET, 60);
  expect(verify(token)).not.toBeNull();
  expect(verify(token)).not.toBeNull(); // from memory
  setSystemTime(new Date(Date.now() + 61_000));
  expect(verify(token)).toBeNull();
});

test("a verifier remembers only what its own secret signed", () => {
  const ours = createAccessTokenVerifier(SECRET);
  const theirs = createAccessTokenVerifier(`${SECRET}-other`);
  const token = signAccessToken(claims(), SECRET, 60);
  expect(ours(token)).not.toBeNull();
  expect(theirs(token)).toBeNull();
});

test("memory stays bounded; evicted tokens still verify", () => {
  const verify = createAccessTokenVerifier(SECRET, 50);
  const tokens = Array.from({ length: 500 }, () => signAccessToken(claims(), SECRET, 60));
  for (const token of tokens) expect(verify(token)?.userId).toBeString();
  expect(verify.remembered).toBe(50);
  expect(verify(tokens[0] as string)).not.toBeNull(); // evicted long ago: verified afresh
  expect(verify.remembered).toBe(50);
});

test("forged tokens are never remembered", () => {
  const verify = createAccessTokenVerifier(SECRET, 50);
  for (let i = 0; i < 100; i++) expect(verify(signAccessToken(claims(), `${SECRET}-forger`, 60))).toBeNull();
  expect(verify.remembered).toBe(0);
});
