// What every HTTP floor does around its one query: verify the access token (HS256 pinned) and
// hand its organisation to `answer`, or 401; print "READY <port>" for the bench to read.
import jwt from "jsonwebtoken";

export function serveSignedIn(answer: (organisationId: string) => Promise<Response>) {
  const secret = process.env.JWT_ACCESS_SECRET as string;
  const server = Bun.serve({
    port: 0,
    fetch(request) {
      let claims: { org: string };
      try {
        claims = jwt.verify(request.headers.get("authorization")?.slice(7) ?? "", secret, { algorithms: ["HS256"] }) as { org: string };
      } catch {
        return new Response(null, { status: 401 });
      }
      return answer(claims.org);
    },
  });
  console.log(`READY ${server.port}`);
}
