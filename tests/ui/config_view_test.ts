// The config view of the status page: go-carbon's key names, Go durations, and secrets masked
// wherever they stand (keys named like passwords, tokens, auth; passwords inside URLs).

import { assert, assertEquals } from "../_util/assert.ts";
import { type Config, defaultConfig } from "../../src/config/config.ts";
import { configView, isSecretKey, MASK, maskValue } from "../../src/ui/config_view.ts";

Deno.test("isSecretKey() finds secret words in kebab, snake and camel case, and only whole words", () => {
  const cases: [string, boolean][] = [
    ["password", true],
    ["basic-auth-password", true],
    ["bearer_token", true],
    ["bearerToken", true],
    ["apiKey", true],
    ["api-key", true],
    ["Authorization", true],
    ["client-secret", true],
    ["tls.key", true],
    ["credentials", true],
    ["max-size", false],
    ["keep-alive", false],
    ["monkey", false],
    ["authority-cache", false],
    ["data-dir", false],
    ["tokenizer", false],
  ];
  for (const [key, secret] of cases) assertEquals(isSecretKey(key), secret, key);
});

Deno.test("maskValue() masks secret keys at any depth and passwords in URLs", () => {
  assertEquals(maskValue("password", "hunter2"), MASK);
  assertEquals(maskValue("password", ""), "", "an empty secret shows that none is set");
  assertEquals(
    maskValue("url", "https://bob:hunter2@example.org:9090/api/v1/write"),
    `https://bob:${MASK}@example.org:9090/api/v1/write`,
  );
  assertEquals(maskValue("url", "http://token@example.org/"), `http://${MASK}@example.org/`);
  assertEquals(maskValue("url", "http://example.org/a@b"), "http://example.org/a@b");
  assertEquals(
    maskValue("headers", { "X-Scope-OrgID": "team", Authorization: "Bearer abc" }),
    { "X-Scope-OrgID": "team", Authorization: MASK },
  );
  assertEquals(
    maskValue("remote", [{ url: "http://u:p@h/", basic_auth: { username: "u", password: "p" } }]),
    [{ url: `http://u:${MASK}@h/`, basic_auth: MASK }],
  );
});

Deno.test("configView() names keys as TOML does, writes durations as Go does and masks secrets", () => {
  const config = defaultConfig();
  const view = configView(config);
  const whisper = view.whisper as Record<string, unknown>;
  assertEquals(whisper["data-dir"], "./data");
  assertEquals(whisper["max-updates-per-second"], 0);
  assertEquals((view.common as Record<string, unknown>)["metric-interval"], "1m0s");
  assertEquals((view.tcp as Record<string, unknown>)["read-timeout"], "2m0s");
  assert.ok(Array.isArray(view.logging));
  assertEquals((view.logging as Record<string, unknown>[])[0].level, "info");
  // A section a later feature adds, with a secret and a URL carrying a password.
  const withSecrets = {
    ...config,
    remote: { url: "https://u:pw@example.org/write", bearerToken: "abc", timeout: 5 },
  } as unknown as Config;
  assertEquals(configView(withSecrets).remote, {
    url: `https://u:${MASK}@example.org/write`,
    bearerToken: MASK,
    timeout: 5,
  });
});
