// carbonserver's read-timeout and write-timeout, applied per request in the handler because
// Deno.serve has no timeout options (go-carbon sets them on its http.Server): the request body
// must arrive within read-timeout (else 408), and the response must be ready and sent within
// write-timeout of the request's start (else 503, or a response already started is cut off).
// A timeout of 0 is no limit, as in Go.

/** The limits, in milliseconds; 0: none. */
export interface HttpTimeouts {
  readTimeout: number;
  writeTimeout: number;
}

/** Answers `req` with `handler`, within the limits. */
export async function serveWithTimeouts(
  req: Request,
  handler: (req: Request) => Promise<Response> | Response,
  limits: HttpTimeouts,
): Promise<Response> {
  const started = performance.now();
  let request = req;
  if (req.body !== null && limits.readTimeout > 0) {
    const body = await within(req.arrayBuffer(), limits.readTimeout);
    if (body === TIMED_OUT) {
      req.body.cancel().catch(() => {});
      return text(408, "request body not read within carbonserver.read-timeout");
    }
    request = new Request(req, { body });
  }
  if (limits.writeTimeout <= 0) return await handler(request);
  const left = () => limits.writeTimeout - (performance.now() - started);
  const response = await within(Promise.resolve(handler(request)), left());
  if (response === TIMED_OUT) {
    return text(503, "response not ready within carbonserver.write-timeout");
  }
  return response.body === null ? response : cutOffAfter(response, left());
}

const TIMED_OUT = Symbol("timed out");

/** `promise`'s value, or TIMED_OUT after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The response with its body ended in error if it is not sent within `ms`. */
function cutOffAfter(response: Response, ms: number): Response {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const body = response.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        timer = setTimeout(
          () => controller.error(new Error("not sent within carbonserver.write-timeout")),
          Math.max(0, ms),
        );
      },
      flush() {
        clearTimeout(timer);
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function text(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
