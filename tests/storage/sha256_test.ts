// The synchronous SHA-256 against FIPS 180-4 vectors, WebCrypto, and Python's hashlib (the
// file names carbon gives tagged series).

import { assertEquals } from "../_util/assert.ts";
import { sha256, sha256Hex } from "../../src/storage/sha256.ts";
import { PYTHON, requires } from "../_util/requires.ts";

const hex = (b: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sha256Hex() matches the FIPS 180-4 examples", () => {
  assertEquals(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("sha256() matches WebCrypto at every length across block boundaries", async () => {
  for (let n = 0; n < 300; n++) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
    assertEquals(hex(sha256(data)), hex(await crypto.subtle.digest("SHA-256", data)), `n=${n}`);
  }
});

Deno.test(requires("python3", {
  name: "sha256Hex() of tagged names matches Python's hashlib (carbon's file names)",
  async fn() {
    const names = ["cpu.load;dc=east;host=a", "café.x;h=été", "a.😀;k=😀", "m;host2=x;host=h"];
    const out = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import sys,json,hashlib\n" +
        "print(json.dumps([hashlib.sha256(n.encode('utf8')).hexdigest() " +
        "for n in json.loads(sys.argv[1])]))",
        JSON.stringify(names),
      ],
    }).output();
    assertEquals(names.map(sha256Hex), JSON.parse(new TextDecoder().decode(out.stdout)));
  },
}));
