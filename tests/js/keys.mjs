// The Azure SDK for JavaScript's KeyClient and CryptographyClient (@azure/keyvault-keys), unmodified, against the
// vault at VAULT_URL, with the bearer token TOKEN. Then, briefly, SecretClient and CertificateClient (secrets.mjs,
// certificates.mjs). Every result is asserted; the last line printed is one JSON object of results. Any failure
// exits 1 with its status, code and message on stderr.
//
// Run: NODE_EXTRA_CA_CERTS=root.pem VAULT_URL=https://vault.kve.test:PORT/ TOKEN=... node --require ./resolve-vault-host.cjs keys.mjs
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { apiVersions, base64Url, bytes, clientOptions, credential, poll, requests, run, scopes, vaultUrl } from "./common.mjs";
import { runSecrets } from "./secrets.mjs";
import { runCertificates } from "./certificates.mjs";

const names = { rsa: "js-rsa", ec: "js-ec", oct: "js-oct" };
const importedName = "js-imported";
const bytes64 = (text) => Buffer.from(text, "base64url");

await run(async () => {
  const client = new KeyClient(vaultUrl, credential, clientOptions("keys"));
  const cryptoOptions = clientOptions("keys");
  const results = { ok: true, node: process.version, vaultUrl, keys: names };

  // Create: RSA 2048, EC P-256, oct 256 (with tags, operations and attributes on the RSA key).
  const expires = new Date(Date.UTC(2031, 0, 2, 3, 4, 5));
  const rsa = await client.createRsaKey(names.rsa, { keySize: 2048, tags: { team: "js" }, expiresOn: expires });
  const ec = await client.createEcKey(names.ec, { curve: "P-256", keyOps: ["sign", "verify"] });
  const oct = await client.createKey(names.oct, "oct", { keySize: 256 });
  assert.equal(rsa.name, names.rsa);
  assert.equal(rsa.keyType, "RSA");
  assert.equal(rsa.key.n.length, 256, "a 2048-bit modulus");
  assert.deepEqual([...rsa.key.e], [1, 0, 1]);
  assert.equal(rsa.properties.tags.team, "js");
  assert.equal(rsa.properties.expiresOn.getTime(), expires.getTime());
  assert.equal(rsa.properties.enabled, true);
  assert.ok(rsa.id.startsWith(new URL(`keys/${names.rsa}/`, vaultUrl).href), `the key id ${rsa.id} names the vault at the URL the client used`);
  assert.match(rsa.properties.version, /^[0-9a-f]{32}$/);
  assert.equal(ec.keyType, "EC");
  assert.equal(ec.key.crv, "P-256");
  assert.equal(ec.key.x.length, 32);
  assert.equal(ec.key.y.length, 32);
  assert.deepEqual([...ec.keyOperations].sort(), ["sign", "verify"]);
  assert.equal(oct.keyType, "oct");
  assert.equal(oct.key.k, undefined, "a symmetric key's material never leaves the vault");
  assert.ok(oct.keyOperations.includes("encrypt") && oct.keyOperations.includes("wrapKey"), `oct operations: ${oct.keyOperations}`);

  // Get (current and by version), list properties.
  const got = await client.getKey(names.rsa);
  assert.equal(got.id, rsa.id);
  assert.deepEqual(got.key.n, rsa.key.n);
  const byVersion = await client.getKey(names.ec, { version: ec.properties.version });
  assert.deepEqual(byVersion.key.x, ec.key.x);
  const listed = [];
  for await (const properties of client.listPropertiesOfKeys()) {
    listed.push(properties.name);
  }

  for (const name of Object.values(names)) {
    assert.ok(listed.includes(name), `listPropertiesOfKeys has ${name}: ${listed}`);
  }

  // Update properties: tags, expiry, and disabling then enabling again.
  const updated = await client.updateKeyProperties(names.rsa, rsa.properties.version, { tags: { team: "js", stage: "updated" }, enabled: false });
  assert.equal(updated.properties.enabled, false);
  assert.deepEqual(updated.properties.tags, { team: "js", stage: "updated" });
  assert.equal(updated.properties.expiresOn.getTime(), expires.getTime(), "an update keeps what it does not name");
  const reenabled = await client.updateKeyProperties(names.rsa, { enabled: true });
  assert.equal(reenabled.properties.enabled, true);
  assert.equal(reenabled.properties.version, rsa.properties.version, "without a version, the current one");

  // Sign and verify on digests: ES256 on the EC key, RS256 and PS256 on the RSA key. Each signature is also checked
  // with node:crypto against the public key the vault returned, and a tampered one must not verify.
  const data = bytes("the data the JavaScript SDK signs");
  const digest = crypto.createHash("sha256").update(data).digest();
  const ecPublic = crypto.createPublicKey({ key: { kty: "EC", crv: "P-256", x: base64Url(ec.key.x), y: base64Url(ec.key.y) }, format: "jwk" });
  const rsaPublic = crypto.createPublicKey({ key: { kty: "RSA", n: base64Url(rsa.key.n), e: base64Url(rsa.key.e) }, format: "jwk" });
  const ecCrypto = new CryptographyClient(ec.id, credential, cryptoOptions);
  const rsaCrypto = new CryptographyClient(rsa, credential, cryptoOptions);
  const signatures = {};
  for (const [alg, cryptoClient, check] of [
    ["ES256", ecCrypto, { key: ecPublic, dsaEncoding: "ieee-p1363" }],
    ["RS256", rsaCrypto, { key: rsaPublic, padding: crypto.constants.RSA_PKCS1_PADDING }],
    ["PS256", rsaCrypto, { key: rsaPublic, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
  ]) {
    const signed = await cryptoClient.sign(alg, digest);
    assert.equal(signed.algorithm, alg);
    assert.equal(signed.result.length, alg === "ES256" ? 64 : 256, `${alg} signature length`);
    assert.ok(crypto.verify("sha256", data, check, signed.result), `${alg}: node:crypto verifies the vault's signature`);
    const verified = await cryptoClient.verify(alg, digest, signed.result);
    assert.equal(verified.result, true, `${alg}: the vault verifies its signature`);
    const tampered = Buffer.from(signed.result);
    tampered[tampered.length - 1] ^= 1;
    assert.equal((await cryptoClient.verify(alg, digest, tampered)).result, false, `${alg}: a tampered signature does not verify`);
    signatures[alg] = signed.result.length;
  }

  // A CryptographyClient for the current version (KeyClient.getCryptographyClient, no version in its id): the SDK
  // posts to /keys/{name}//sign, an empty version, as Azure accepts. signData hashes locally, verifyData too.
  const current = client.getCryptographyClient(names.ec);
  const signedData = await current.signData("ES256", data);
  assert.ok(crypto.verify("sha256", data, { key: ecPublic, dsaEncoding: "ieee-p1363" }, signedData.result), "signData: node:crypto verifies");
  assert.ok(signedData.keyID.includes(`/keys/${names.ec}`), signedData.keyID);
  assert.equal((await current.verifyData("ES256", data, signedData.result)).result, true);
  assert.equal((await current.verify("ES256", digest, signedData.result)).result, true);
  const currentRsa = client.getCryptographyClient(names.rsa);
  const sealed = await currentRsa.encrypt("RSA-OAEP-256", bytes("to the current version"));
  assert.equal(Buffer.from((await currentRsa.decrypt("RSA-OAEP-256", sealed.result)).result).toString(), "to the current version");

  // A signature node:crypto made does not come from the vault's key: the vault says so.
  const stranger = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const strangers = crypto.sign("sha256", data, { key: stranger.privateKey, dsaEncoding: "ieee-p1363" });
  assert.equal((await ecCrypto.verify("ES256", digest, strangers)).result, false);
  results.signatures = signatures;

  // Encrypt/decrypt on the RSA key: RSA-OAEP-256 through the vault both ways, RSA-OAEP-256 encrypted by node:crypto
  // and RSA-OAEP encrypted by the SDK locally (it encrypts RSA-OAEP with the public key itself), decrypted by the vault.
  const plaintext = bytes("a plaintext for RSA-OAEP-256");
  const encrypted = await rsaCrypto.encrypt({ algorithm: "RSA-OAEP-256", plaintext });
  assert.equal(encrypted.result.length, 256);
  assert.notDeepEqual(Buffer.from(encrypted.result.subarray(0, plaintext.length)), plaintext);
  assert.deepEqual(Buffer.from((await rsaCrypto.decrypt({ algorithm: "RSA-OAEP-256", ciphertext: encrypted.result })).result), plaintext);
  const byNode = crypto.publicEncrypt({ key: rsaPublic, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, plaintext);
  assert.deepEqual(Buffer.from((await rsaCrypto.decrypt({ algorithm: "RSA-OAEP-256", ciphertext: byNode })).result), plaintext);
  const local = await rsaCrypto.encrypt("RSA-OAEP", plaintext);
  assert.deepEqual(Buffer.from((await rsaCrypto.decrypt("RSA-OAEP", local.result)).result), plaintext);

  // Encrypt/decrypt on the oct key, in the vault: A256GCM (the vault makes the IV and the tag, with AAD) and
  // A256CBCPAD (with the caller's IV).
  const octCrypto = new CryptographyClient(oct.id, credential, cryptoOptions);
  const aad = bytes("header");
  const gcm = await octCrypto.encrypt({ algorithm: "A256GCM", plaintext, additionalAuthenticatedData: aad });
  assert.equal(gcm.iv?.length, 12, "the vault returns the 96-bit IV it chose");
  assert.equal(gcm.authenticationTag?.length, 16, "and the 128-bit tag");
  assert.equal(gcm.result.length, plaintext.length);
  const gcmBack = await octCrypto.decrypt({ algorithm: "A256GCM", ciphertext: gcm.result, iv: gcm.iv, authenticationTag: gcm.authenticationTag, additionalAuthenticatedData: aad });
  assert.deepEqual(Buffer.from(gcmBack.result), plaintext);
  const badTag = Buffer.from(gcm.authenticationTag);
  badTag[0] ^= 1;
  await assert.rejects(
    octCrypto.decrypt({ algorithm: "A256GCM", ciphertext: gcm.result, iv: gcm.iv, authenticationTag: badTag, additionalAuthenticatedData: aad }),
    (e) => e.statusCode === 400,
    "a wrong GCM tag is refused");
  const iv = crypto.randomBytes(16);
  const cbc = await octCrypto.encrypt({ algorithm: "A256CBCPAD", plaintext, iv });
  assert.equal(cbc.result.length, 32, "28 bytes pad to two blocks");
  assert.deepEqual(Buffer.from((await octCrypto.decrypt({ algorithm: "A256CBCPAD", ciphertext: cbc.result, iv })).result), plaintext);

  // Wrap/unwrap: RSA-OAEP-256 on the RSA key, A256KW on the oct key (RFC 3394: 8 bytes longer).
  const cek = crypto.randomBytes(32);
  const wrapped = await rsaCrypto.wrapKey("RSA-OAEP-256", cek);
  assert.equal(wrapped.result.length, 256);
  assert.deepEqual(Buffer.from((await rsaCrypto.unwrapKey("RSA-OAEP-256", wrapped.result)).result), cek);
  // RSA1_5 too (the SDK wraps locally with the public key; the vault unwraps).
  const wrapped15 = await rsaCrypto.wrapKey("RSA1_5", cek);
  assert.deepEqual(Buffer.from((await rsaCrypto.unwrapKey("RSA1_5", wrapped15.result)).result), cek);
  const kw = await octCrypto.wrapKey("A256KW", cek);
  assert.equal(kw.result.length, 40);
  assert.deepEqual(Buffer.from((await octCrypto.unwrapKey("A256KW", kw.result)).result), cek);
  results.crypto = { encrypt: ["RSA-OAEP-256", "RSA-OAEP", "A256GCM", "A256CBCPAD"], wrap: ["RSA-OAEP-256", "RSA1_5", "A256KW"] };

  // Rotation: a rotated key is a new version with new material; the policy round-trips.
  const rotated = await client.rotateKey(names.ec);
  assert.notEqual(rotated.properties.version, ec.properties.version);
  assert.notDeepEqual(rotated.key.x, ec.key.x);
  assert.equal(rotated.key.crv, "P-256");
  assert.equal((await client.getKey(names.ec)).properties.version, rotated.properties.version);
  const versions = [];
  for await (const properties of client.listPropertiesOfKeyVersions(names.ec)) {
    versions.push(properties.version);
  }

  assert.deepEqual(versions.sort(), [ec.properties.version, rotated.properties.version].sort());
  // The old version still verifies what it signed; the current one does not.
  const oldSigned = await new CryptographyClient(ec.id, credential, cryptoOptions).sign("ES256", digest);
  assert.equal((await new CryptographyClient(rotated.id, credential, cryptoOptions).verify("ES256", digest, oldSigned.result)).result, false);
  assert.equal((await ecCrypto.verify("ES256", digest, oldSigned.result)).result, true);

  const initialPolicy = await client.getKeyRotationPolicy(names.ec);
  assert.ok(Array.isArray(initialPolicy.lifetimeActions), "a key without a policy has the default one");
  const policy = await client.updateKeyRotationPolicy(names.ec, {
    expiresIn: "P90D",
    lifetimeActions: [
      { action: "Rotate", timeAfterCreate: "P30D" },
      { action: "Notify", timeBeforeExpiry: "P10D" },
    ],
  });
  assert.equal(policy.expiresIn, "P90D");
  assert.deepEqual(policy.lifetimeActions.map((a) => [a.action, a.timeAfterCreate, a.timeBeforeExpiry]), [["Rotate", "P30D", undefined], ["Notify", undefined, "P10D"]]);
  assert.ok(policy.updatedOn instanceof Date);
  const readBack = await client.getKeyRotationPolicy(names.ec);
  assert.equal(readBack.expiresIn, "P90D");
  assert.deepEqual(readBack.lifetimeActions.map((a) => a.action), ["Rotate", "Notify"]);
  results.rotation = { versions: versions.length, policy: readBack.lifetimeActions.map((a) => a.action) };

  // Backup, delete (poll), purge, restore: the restored key is the same key (same versions, same material).
  const backup = await client.backupKey(names.oct);
  assert.ok(backup.length > 0);
  const deleting = await client.beginDeleteKey(names.oct, poll);
  const deleted = await deleting.pollUntilDone();
  assert.equal(deleted.name, names.oct);
  assert.ok(deleted.properties.recoveryId.endsWith(`/deletedkeys/${names.oct}`), deleted.properties.recoveryId);
  assert.ok(deleted.properties.scheduledPurgeDate > new Date(Date.now() + 6 * 86400e3));
  await assert.rejects(client.getKey(names.oct), (e) => e.statusCode === 404, "a deleted key is gone");
  assert.equal((await client.getDeletedKey(names.oct)).name, names.oct);
  await client.purgeDeletedKey(names.oct);
  await assert.rejects(client.getDeletedKey(names.oct), (e) => e.statusCode === 404, "a purged key is gone for good");
  const restored = await client.restoreKeyBackup(backup);
  assert.equal(restored.name, names.oct);
  assert.equal(restored.properties.version, oct.properties.version);
  const restoredCrypto = new CryptographyClient(restored.id, credential, cryptoOptions);
  assert.deepEqual(Buffer.from((await restoredCrypto.unwrapKey("A256KW", kw.result)).result), cek, "the restored key is the same material");
  await assert.rejects(client.restoreKeyBackup(backup), (e) => e.statusCode === 409, "restoring over a live key is a conflict");
  results.backup = { bytes: backup.length, restoredVersion: restored.properties.version };

  // Delete and recover: the deleted collection lists it, recovery brings back the same key.
  await (await client.beginDeleteKey(names.rsa, poll)).pollUntilDone();
  const deletedNames = [];
  for await (const item of client.listDeletedKeys()) {
    deletedNames.push(item.name);
  }

  assert.ok(deletedNames.includes(names.rsa), `listDeletedKeys has ${names.rsa}: ${deletedNames}`);
  const recovered = await (await client.beginRecoverDeletedKey(names.rsa, poll)).pollUntilDone();
  assert.equal(recovered.properties.version, rsa.properties.version);
  assert.deepEqual((await client.getKey(names.rsa)).key.n, rsa.key.n);

  // Import: a key node:crypto made; the vault signs with it, node:crypto verifies with its own public half.
  const own = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = own.privateKey.export({ format: "jwk" });
  const imported = await client.importKey(importedName, { kty: "EC", crv: "P-256", x: bytes64(jwk.x), y: bytes64(jwk.y), d: bytes64(jwk.d), keyOps: ["sign", "verify"] }, { tags: { origin: "node" } });
  assert.equal(imported.keyType, "EC");
  assert.equal(imported.key.d, undefined, "the private half never comes back");
  assert.equal(base64Url(imported.key.x), jwk.x);
  assert.equal(imported.properties.tags.origin, "node");
  const importedSigned = await new CryptographyClient(imported.id, credential, cryptoOptions).sign("ES256", digest);
  assert.ok(crypto.verify("sha256", data, { key: own.publicKey, dsaEncoding: "ieee-p1363" }, importedSigned.result), "node:crypto verifies the imported key's signature");

  // Paging: the test seeds PAGED_KEYS keys named js-page-NN from the vault's side (creating them here would pass
  // Azure's 10 key creations per 10 s, which the front enforces); more than 25, one page, so the SDK follows nextLink.
  const seeded = Number(process.env.PAGED_KEYS ?? "0");
  let pages = 0;
  const paged = [];
  for await (const page of client.listPropertiesOfKeys().byPage()) {
    pages++;
    paged.push(...page.map((p) => p.name));
  }

  assert.equal(paged.filter((n) => n.startsWith("js-page-")).length, seeded);
  assert.ok(seeded <= 25 || pages > 1, `${paged.length} keys in ${pages} page(s)`);
  assert.equal(new Set(paged).size, paged.length, "no key twice");
  assert.ok(paged.includes(importedName) && paged.includes(names.rsa));
  results.paging = { pages, keys: paged.length };

  // Random bytes.
  const random = await client.getRandomBytes(32);
  assert.equal(random.length, 32);
  assert.notDeepEqual(Buffer.from(random), Buffer.from(await client.getRandomBytes(32)));

  results.secrets = await runSecrets();
  results.certificates = await runCertificates();
  results.apiVersions = apiVersions;
  results.scopes = [...scopes];
  results.requests = requests.length;
  return results;
});
