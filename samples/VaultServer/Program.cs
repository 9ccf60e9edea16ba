// vault-server: a vault file served over Azure Key Vault's REST API, on HTTPS with a certificate the vault issues
// itself, to bearer tokens signed by a key the operator holds (no Entra ID needed). Any Azure SDK client (changed only in
// the vault URL and the credential) uses it.
//
//   vault-server new-signing-key /etc/kv/tokens.pem                       # the operator's token key (0600) and tokens.pub.pem
//   vault-server serve --vault /var/lib/kv/vault.db --root-key-file /etc/kv/root.key \
//        --token-key /etc/kv/tokens.pub.pem --admin ops-team --host-name vault.example.com --urls https://0.0.0.0:8443
//   vault-server token --signing-key /etc/kv/tokens.pem --oid app-1 --audience https://example.com   # prints a JWT
//
// With `dotnet run --project samples/VaultServer -- <command> ...` from the repository. docs/rest-api.md has the setup.
using KeyVault.Embedded.Samples.VaultServer;

return args.FirstOrDefault() switch
{
    "serve" => await ServeAsync(args[1..]),
    "token" => VaultServerTokens.Run(args[1..], Console.Out, Console.Error),
    "new-signing-key" => VaultServerTokens.NewSigningKey(args[1..], Console.Out, Console.Error),
    _ => Usage(),
};

static async Task<int> ServeAsync(string[] args)
{
    var app = await VaultServerHost.BuildAsync(args);
    await app.RunAsync();
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: vault-server serve --vault FILE --root-key-file FILE --token-key PUBLIC.pem --admin OBJECT-ID [--host-name NAME] [--urls https://ADDRESS:PORT;unix:/PATH]");
    Console.Error.WriteLine("       vault-server token --signing-key PRIVATE.pem --oid OBJECT-ID [--name NAME] [--audience URI] [--issuer NAME] [--lifetime-minutes N]");
    Console.Error.WriteLine("       vault-server new-signing-key PRIVATE.pem");
    return 2;
}
