// CertificateClient (@azure/keyvault-certificates), briefly: a self-signed certificate created through the
// long-running operation (polled to completion), read back, and checked with node:crypto: its subject and name, that
// it signed itself, and that its public key is the key the vault holds under the certificate's name.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { base64Url, clientOptions, credential, poll, vaultUrl } from "./common.mjs";

export async function runCertificates() {
  const client = new CertificateClient(vaultUrl, credential, clientOptions("certificates"));
  const name = "js-cert";
  const subject = "CN=js-sdk.kve.test";

  const poller = await client.beginCreateCertificate(name, {
    issuerName: "Self",
    subject,
    subjectAlternativeNames: { dnsNames: ["js-sdk.kve.test"] },
    keyType: "RSA",
    keySize: 2048,
    validityInMonths: 12,
    contentType: "application/x-pem-file",
  }, poll);
  const created = await poller.pollUntilDone();
  assert.equal(created.name, name);
  assert.ok(created.cer?.length > 0, "the created certificate carries its DER");
  assert.equal(poller.getOperationState().isCompleted, true);

  const certificate = await client.getCertificate(name);
  assert.equal(certificate.properties.version, created.properties.version);
  assert.equal(certificate.policy.issuerName, "Self");
  assert.equal(certificate.policy.subject, subject);
  assert.equal(certificate.policy.contentType, "application/x-pem-file");
  const x509 = new crypto.X509Certificate(Buffer.from(certificate.cer));
  assert.equal(x509.subject, "CN=js-sdk.kve.test");
  assert.equal(x509.issuer, x509.subject, "self-signed");
  assert.ok(x509.verify(x509.publicKey), "it signed itself");
  assert.ok(x509.checkHost("js-sdk.kve.test"), "the DNS name is in its SAN");
  assert.equal(Buffer.from(certificate.properties.x509Thumbprint).toString("hex").toUpperCase(), x509.fingerprint.replaceAll(":", ""));

  // The certificate's key is a key of the vault: its public half is the certificate's.
  const key = await new KeyClient(vaultUrl, credential, clientOptions("keys")).getKey(name);
  assert.equal(key.properties.managed, true);
  assert.equal(key.key.kty, "RSA");
  assert.equal(base64Url(key.key.n), x509.publicKey.export({ format: "jwk" }).n);

  // A certificate for an outside CA (issuer Unknown) stays pending: the operation poller reads the certificate before
  // and after each poll (Azure serves the pending version, disabled and without its DER), and cancels it.
  const pendingName = "js-pending";
  await client.beginCreateCertificate(pendingName, { issuerName: "Unknown", subject: "CN=pending.kve.test" }, poll);
  const operationPoller = await client.getCertificateOperation(pendingName, poll);
  const operation = operationPoller.getOperationState().certificateOperation;
  assert.equal(operation.status, "inProgress");
  assert.ok(operation.csr?.length > 0, "the operation carries the CSR for the outside CA");
  const pending = await client.getCertificate(pendingName);
  assert.equal(pending.properties.enabled, false, "a pending certificate is disabled");
  assert.equal(pending.cer, undefined, "and has no DER yet");
  assert.equal(pending.policy.issuerName, "Unknown");
  const pendingVersions = [];
  for await (const version of client.listPropertiesOfCertificateVersions(pendingName)) {
    pendingVersions.push(version.version);
  }
  assert.deepEqual(pendingVersions, [pending.properties.version], "its one version is the pending one");
  await operationPoller.cancelOperation();
  assert.equal(operationPoller.getOperationState().certificateOperation.cancellationRequested, true);
  const deleted = await client.deleteCertificateOperation(pendingName);
  assert.equal(deleted.cancellationRequested, true);
  return { name, thumbprint: x509.fingerprint.replaceAll(":", ""), pendingVersion: pending.properties.version };
}
