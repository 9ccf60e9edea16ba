// Preloaded with `node --require ./resolve-vault-host.cjs`: every name under kve.test (the test vault's
// vault.kve.test) resolves to 127.0.0.1, as the .NET tests' own ConnectCallback does, so the unmodified Azure SDK
// connects to the local server under the name its certificate carries (TLS checks that name; trust comes from
// NODE_EXTRA_CA_CERTS). Every other name goes to the real resolver.
"use strict";

const dns = require("node:dns");

const suffix = ".kve.test";
const address = "127.0.0.1";

function isTestName(hostname) {
  if (typeof hostname !== "string") {
    return false;
  }

  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === suffix.slice(1) || name.endsWith(suffix);
}

function answer(options) {
  // options: undefined, a family number, or { family, all, hints, verbatim, order }.
  const family = typeof options === "number" ? options : options && options.family;
  if (family === 6 || family === "IPv6") {
    return { error: Object.assign(new Error(`getaddrinfo ENOTFOUND (no IPv6 address for test names)`), { code: "ENOTFOUND", syscall: "getaddrinfo" }) };
  }

  const all = typeof options === "object" && options !== null && options.all === true;
  return { all, value: all ? [{ address, family: 4 }] : address };
}

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = undefined;
  }

  if (!isTestName(hostname)) {
    return options === undefined ? originalLookup.call(this, hostname, callback) : originalLookup.call(this, hostname, options, callback);
  }

  const result = answer(options);
  process.nextTick(() => {
    if (result.error) {
      callback(Object.assign(result.error, { hostname }));
    } else if (result.all) {
      callback(null, result.value);
    } else {
      callback(null, result.value, 4);
    }
  });
  return {};
};

const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, options) {
  if (!isTestName(hostname)) {
    return originalPromiseLookup.call(this, hostname, options);
  }

  const result = answer(options);
  if (result.error) {
    throw Object.assign(result.error, { hostname });
  }

  return result.all ? result.value : { address: result.value, family: 4 };
};
