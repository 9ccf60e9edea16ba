using KeyVault.Embedded.Cli;

return await KvApplication.RunAsync(args).ConfigureAwait(false);
