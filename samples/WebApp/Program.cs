// KeyVault.Embedded web sample: an ASP.NET Core minimal API whose connection string comes from the vault through
// IConfiguration, served over HTTPS on 127.0.0.1 with a certificate the vault issued, with a health endpoint.
//
//   dotnet run --project samples/WebApp
//   curl --cacert ~/.local/share/keyvault-embedded-webapp/sample-ca.pem https://127.0.0.1:5443/ (and /health)
//
// Without EmbeddedVault:Path and EmbeddedVault:Root settings it uses a development vault and root key file in a
// folder of the user's own (~/.local/share/keyvault-embedded-webapp, 0700), with a warning (a real deployment keeps the root key elsewhere, or in a token via PKCS#11).
using KeyVault.Embedded.Samples.WebApp;

var app = await WebAppHost.BuildAsync(args);
await app.RunAsync();
