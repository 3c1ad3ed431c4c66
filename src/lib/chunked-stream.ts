/**
 * A response body from an async generator of text chunks, pulled one chunk each time the client
 * has taken the previous one: memory stays flat however much there is, and a slow client slows
 * the reading, not the server.
 *
 * The first chunk is produced before this returns, so a failure there (a bad parameter the
 * database refuses, the database gone) becomes an ordinary error response, not a 200 cut short.
 * A failure after that is logged and errors the stream: the response then ends without its
 * final chunk, and the client sees a failed transfer, never a short file that looks complete.
 */
export async function chunkedStream(chunks: AsyncGenerator<string>, onError: (error: unknown) => void): Promise<ReadableStream<string>> {
  let first: IteratorResult<string> | undefined = await chunks.next();
  return new ReadableStream<string>(
    {
      async pull(controller) {
        try {
          const next = first ?? (await chunks.next());
          first = undefined;
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          onError(error);
          controller.error(error);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}
