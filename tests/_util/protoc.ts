// Google's protoc (Debian's protobuf-compiler) as the oracle of protobuf messages: text format to
// bytes (--encode) and back (--decode) against the .proto files under tests/fixtures/. Tests that
// need it skip loudly when it is missing: `requires("protoc", ...)`.

import { TOOLS } from "./requires.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

async function protoc(args: string[], input: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const child = new Deno.Command(TOOLS.protoc.path, {
    args: [`--proto_path=${FIXTURES}`, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`protoc ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** `bytes` as protoc's text format of message `type` (e.g. `carbonapi_v3_pb.MultiGlobResponse`). */
export async function protocDecode(
  proto: string,
  type: string,
  bytes: Uint8Array,
): Promise<string> {
  return new TextDecoder().decode(await protoc([`--decode=${type}`, proto], bytes));
}

/** Text format of message `type` as bytes. */
export async function protocEncode(
  proto: string,
  type: string,
  text: string,
): Promise<Uint8Array<ArrayBuffer>> {
  return await protoc([`--encode=${type}`, proto], new TextEncoder().encode(text));
}
