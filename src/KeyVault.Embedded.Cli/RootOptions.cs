using System.CommandLine;

namespace KeyVault.Embedded.Cli;

/// <summary>
/// The options that name a root: a key file, an environment variable, a passphrase prompt or a PKCS#11 token (with
/// its labels and where the PIN comes from). The vault's current root is the global set (<c>--root-key-file</c>, ...);
/// <c>kv vault migrate-root</c> takes a second set for the new root (<c>--to-root-key-file</c>, ...).
/// </summary>
internal sealed class RootOptions
{
    private RootOptions(string prefix, string role, bool recursive)
    {
        Prefix = prefix;
        File = new Option<string?>($"--{prefix}root-key-file")
        {
            Description = $"{role}: a file holding the 32-byte software root key (mode 0600).",
            HelpName = "FILE",
            Recursive = recursive,
        };
        Environment = new Option<string?>($"--{prefix}root-key-env")
        {
            Description = prefix.Length == 0
                ? $"{role}: the environment variable holding the root key, 64 hex characters or base64 (default when no root option is given: {GlobalOptions.RootKeyVariable})."
                : $"{role}: the environment variable holding the root key, 64 hex characters or base64.",
            HelpName = "VAR",
            Recursive = recursive,
        };
        Passphrase = new Option<bool>($"--{prefix}passphrase-prompt")
        {
            Description = $"{role}: a passphrase (Argon2id), read without echo from the terminal, or the next line of standard input when it is redirected.",
            Recursive = recursive,
        };
        Module = new Option<string?>($"--{prefix}pkcs11-module")
        {
            Description = $"{role}: a PKCS#11 module (for example /usr/lib/softhsm/libsofthsm2.so); with --{prefix}token-label and --{prefix}key-label. The PIN is prompted without echo, or read from --{prefix}pin-fd.",
            HelpName = "PATH",
            Recursive = recursive,
        };
        TokenLabel = new Option<string?>($"--{prefix}token-label") { Description = $"{role}: the PKCS#11 token's label.", HelpName = "LABEL", Recursive = recursive };
        KeyLabel = new Option<string?>($"--{prefix}key-label") { Description = $"{role}: the PKCS#11 root key's label.", HelpName = "LABEL", Recursive = recursive };
        TokenAnchor = new Option<bool>($"--{prefix}token-anchor")
        {
            Description = $"{role}: the PKCS#11 token also keeps the vault's rollback anchor (as the app's Pkcs11RootKeyOptions.UseTokenAnchor): give it on every command for a vault anchored so.",
            Recursive = recursive,
        };
        PinFd = new Option<int?>($"--{prefix}pin-fd")
        {
            Description = $"{role}: read the PKCS#11 PIN from this open file descriptor (first line) instead of prompting.",
            HelpName = "N",
            Recursive = recursive,
        };
    }

    /// <summary>The vault's root, on every command.</summary>
    public static RootOptions Current { get; } = new(string.Empty, "Root", recursive: true);

    /// <summary>A new set for the root a command moves the vault to.</summary>
    public static RootOptions CreateTarget() => new("to-", "New root", recursive: false);

    /// <summary>"" for the current root, "to-" for a new one: the options' names start with <c>--</c> and this.</summary>
    public string Prefix { get; }

    public Option<string?> File { get; }

    public Option<string?> Environment { get; }

    public Option<bool> Passphrase { get; }

    public Option<string?> Module { get; }

    public Option<string?> TokenLabel { get; }

    public Option<string?> KeyLabel { get; }

    public Option<int?> PinFd { get; }

    public Option<bool> TokenAnchor { get; }

    public IEnumerable<Option> All => [File, Environment, Passphrase, Module, TokenLabel, KeyLabel, PinFd, TokenAnchor];
}
