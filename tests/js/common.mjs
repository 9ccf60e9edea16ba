// What every script here shares: the vault URL and token from the environment, a credential that hands out that
// token, client options that record the api-version of every request, and failure reporting.
import { Buffer } from "node:buffer";

export const vaultUrl = required("VAULT_URL");
const token = required("TOKEN");

/** A TokenCredential (the @azure/core-auth shape) that hands out the test's token for whatever scope the challenge names. */
export const scopes = new Set();
export const credential = {
  getToken: async (scope) => {
    for (const s of [scope].flat()) {
      scopes.add(s);
    }

    return { token, expiresOnTimestamp: Date.now() + 3600e3 };
  },
};

/** Every request's method and path, and the api-version values the SDKs sent. */
export const requests = [];
export const apiVersions = {};
const last = { response: undefined };

/** Client options: no retries (a failure shows at once), and a policy that records what each client sends. */
export function clientOptions(client) {
  return {
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [
      {
        position: "perCall",
        policy: {
          name: "recordRequests",
          sendRequest: async (request, next) => {
            const url = new URL(request.url);
            const version = url.searchParams.get("api-version");
            (apiVersions[client] ??= []).includes(version) || apiVersions[client].push(version);
            requests.push(`${request.method} ${url.pathname}`);
            const response = await next(request);
            last.response = `${request.method} ${url.pathname} -> ${response.status} ${(response.bodyAsText ?? "").slice(0, 600)}`;
            return response;
          },
        },
      },
    ],
  };
}

/** Poll options for long-running operations: the embedded vault completes at once, so short intervals suffice. */
export const poll = { intervalInMs: 20 };

export function bytes(value) {
  return Buffer.from(value);
}

export function base64Url(value) {
  return Buffer.from(value).toString("base64url");
}

/** Runs <paramref>main</paramref>: prints its result as one JSON line and exits 0, or prints the failure and exits 1. */
export async function run(main) {
  try {
    const result = await main();
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exitCode = 0;
  } catch (error) {
    const failure = {
      ok: false,
      name: error?.name,
      status: error?.statusCode,
      code: error?.code,
      message: error?.message,
      body: error?.response?.bodyAsText,
      request: error?.request ? `${error.request.method} ${error.request.url}` : undefined,
      lastResponse: last.response,
      stack: error?.stack,
    };
    process.stderr.write("FAILED " + JSON.stringify(failure) + "\n");
    process.exitCode = 1;
  }
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`FAILED the ${name} environment variable is not set\n`);
    process.exit(2);
  }

  return value;
}
