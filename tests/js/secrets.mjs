// SecretClient (@azure/keyvault-secrets), briefly: set, get, list, delete (poll), the deleted secret, purge.
import assert from "node:assert/strict";
import { SecretClient } from "@azure/keyvault-secrets";
import { clientOptions, credential, poll, vaultUrl } from "./common.mjs";

export async function runSecrets() {
  const client = new SecretClient(vaultUrl, credential, clientOptions("secrets"));
  const name = "js-secret";

  const first = await client.setSecret(name, "value-one", { contentType: "text/plain", tags: { team: "js" } });
  const second = await client.setSecret(name, "value-two");
  assert.equal(first.value, "value-one");
  assert.equal(first.properties.contentType, "text/plain");
  assert.equal(first.properties.tags.team, "js");
  assert.notEqual(first.properties.version, second.properties.version);
  assert.equal((await client.getSecret(name)).value, "value-two");
  assert.equal((await client.getSecret(name, { version: first.properties.version })).value, "value-one");

  const listed = [];
  for await (const properties of client.listPropertiesOfSecrets()) {
    listed.push(properties.name);
  }

  assert.ok(listed.includes(name), `listPropertiesOfSecrets has ${name}: ${listed}`);
  const versions = [];
  for await (const properties of client.listPropertiesOfSecretVersions(name)) {
    versions.push(properties.version);
  }

  assert.deepEqual(versions.sort(), [first.properties.version, second.properties.version].sort());

  const deleted = await (await client.beginDeleteSecret(name, poll)).pollUntilDone();
  assert.equal(deleted.name, name);
  assert.ok(deleted.recoveryId.endsWith(`/deletedsecrets/${name}`), deleted.recoveryId);
  await assert.rejects(client.getSecret(name), (e) => e.statusCode === 404, "a deleted secret is gone");
  assert.equal((await client.getDeletedSecret(name)).name, name);
  await client.purgeDeletedSecret(name);
  await assert.rejects(client.getDeletedSecret(name), (e) => e.statusCode === 404, "a purged secret is gone for good");
  return { name, versions: versions.length };
}
