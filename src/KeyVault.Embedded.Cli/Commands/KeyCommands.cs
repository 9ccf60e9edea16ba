using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Input;
using KeyVault.Embedded.Cli.Output;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary><c>kv key ...</c>, as <c>az keyvault key ...</c>. Private and symmetric key material never leaves the vault.</summary>
internal static class KeyCommands
{
    public static Command Create() => Group("key", "Manage keys and use them: sign, verify, encrypt, decrypt, wrap, unwrap.",
        CreateKey(), Import(), Show(), List(), ListVersions(), Rotate(), Delete(), Recover(), Purge(), Sign(), Verify(),
        Encrypt(), Decrypt(), Wrap(), Unwrap(), RotationPolicy());

    private static Option<string> Name() => Required("--name", "The key's name.", "-n");

    private static Option<string?> Version() => Optional("--version", "A version id; default the current version.");

    private static Command CreateKey()
    {
        var name = Name();
        var kty = new Option<string>("--kty") { Description = "Key type: RSA, EC or oct (RSA-HSM, EC-HSM, oct-HSM under a PKCS#11 root).", DefaultValueFactory = _ => "RSA" };
        kty.CompletionSources.Add("RSA", "EC", "oct", "RSA-HSM", "EC-HSM", "oct-HSM");
        var size = new Option<int?>("--size") { Description = "RSA: 2048, 3072 or 4096; oct: 128, 192 or 256." };
        var curve = Optional("--curve", "EC: P-256, P-256K, P-384 or P-521.");
        curve.CompletionSources.Add("P-256", "P-256K", "P-384", "P-521");
        var ops = new Option<string[]>("--ops") { Description = "Permitted operations: encrypt decrypt sign verify wrapKey unwrapKey.", AllowMultipleArgumentsPerToken = true };
        var disabled = new Option<bool>("--disabled") { Description = "Create the key disabled." };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry (ISO 8601, UTC)." };
        var notBefore = new Option<DateTimeOffset?>("--not-before") { Description = "Not valid before (ISO 8601, UTC)." };
        var tags = new Option<string[]>("--tags") { Description = "Tags as name=value pairs.", AllowMultipleArgumentsPerToken = true };
        return CommandFactory.Create("create", "Create a key (a new version when the name exists).",
            [name, kty, size, curve, ops, disabled, expires, notBefore, tags],
            parse =>
            {
                var type = parse.GetValue(kty)!;
                var hsm = type.EndsWith("-HSM", StringComparison.OrdinalIgnoreCase);
                var baseType = hsm ? type[..^4] : type;
                var tagValues = CommandInput.Tags(parse.GetValue(tags));
                CreateKeyOptions options = baseType.ToUpperInvariant() switch
                {
                    "RSA" => new CreateRsaKeyOptions(parse.GetValue(name)!, hsm) { KeySize = parse.GetValue(size) },
                    "EC" => new CreateEcKeyOptions(parse.GetValue(name)!, hsm) { CurveName = parse.GetValue(curve) is { } c ? new KeyCurveName(c) : (KeyCurveName?)null },
                    "OCT" => new CreateOctKeyOptions(parse.GetValue(name)!, hsm) { KeySize = parse.GetValue(size) },
                    _ => throw CliException.BadParameter($"--kty '{type}' is not a key type: use RSA, EC or oct (or their -HSM forms)."),
                };
                foreach (var op in parse.GetValue(ops) ?? [])
                {
                    options.KeyOperations.Add(new KeyOperation(op));
                }

                options.ExpiresOn = parse.GetValue(expires);
                options.NotBefore = parse.GetValue(notBefore);
                if (parse.GetValue(disabled))
                {
                    options.Enabled = false;
                }

                foreach (var (k, v) in tagValues)
                {
                    options.Tags[k] = v;
                }

                return async (vault, _, ct) => Json.Key(options switch
                {
                    CreateRsaKeyOptions rsa => await vault.Keys.CreateRsaKeyAsync(rsa, ct).ConfigureAwait(false),
                    CreateEcKeyOptions ec => await vault.Keys.CreateEcKeyAsync(ec, ct).ConfigureAwait(false),
                    _ => await vault.Keys.CreateOctKeyAsync((CreateOctKeyOptions)options, ct).ConfigureAwait(false),
                });
            });
    }

    private static Command Import()
    {
        var name = Name();
        var file = Required("--file", "A JSON Web Key (JSON) or a PEM private key (PKCS#8, PKCS#1 or SEC1).", "-f");
        return CommandFactory.Create("import", "Import a key from a JWK or PEM file.", [name, file],
            parse =>
            {
                var bytes = CommandInput.ReadFile(parse.GetValue(file)!, "--file");
                JsonWebKey jwk;
                try
                {
                    var text = Encoding.UTF8.GetString(bytes).Trim();
                    jwk = text.StartsWith('{')
                        ? JsonSerializer.Deserialize(text, JsonWebKeyJsonContext.Default.JsonWebKey) ?? throw new JsonException()
                        : JsonWebKey.FromPem(text);
                }
                catch (JsonException)
                {
                    throw CliException.BadParameter("--file is not a valid JSON Web Key.");
                }
                catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or FormatException)
                {
                    throw CliException.BadParameter("--file is neither a JSON Web Key nor a PEM private key (PKCS#8, PKCS#1 or SEC1).");
                }
                finally
                {
                    // The file may be a private key in the clear: its bytes are not kept past parsing.
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
                }

                return async (vault, _, ct) => Json.Key(await vault.Keys.ImportKeyAsync(parse.GetValue(name)!, jwk, ct).ConfigureAwait(false));
            });
    }

    private static Command Show()
    {
        var name = Name();
        var version = Version();
        return CommandFactory.Create("show", "Show a key: attributes and public JSON Web Key.", [name, version],
            parse => async (vault, _, ct) => Json.Key(await vault.Keys.GetKeyAsync(parse.GetValue(name)!, parse.GetValue(version), ct).ConfigureAwait(false)));
    }

    private static Command List() =>
        CommandFactory.Create("list", "List keys (current version's attributes).", [],
            _ => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var p in vault.Keys.GetPropertiesOfKeysAsync(ct).ConfigureAwait(false))
                {
                    items.Add(Json.Properties(p));
                }

                return items;
            });

    private static Command ListVersions()
    {
        var name = Name();
        return CommandFactory.Create("list-versions", "List a key's versions.", [name],
            parse => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var p in vault.Keys.GetPropertiesOfKeyVersionsAsync(parse.GetValue(name)!, ct).ConfigureAwait(false))
                {
                    items.Add(Json.Properties(p));
                }

                return items;
            });
    }

    private static Command Rotate()
    {
        var name = Name();
        return CommandFactory.Create("rotate", "Rotate a key: a new version of the same type and size.", [name],
            parse => async (vault, _, ct) => Json.Key(await vault.Keys.RotateKeyAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)));
    }

    private static Command Delete()
    {
        var name = Name();
        return CommandFactory.Create("delete", "Delete a key (soft delete).", [name],
            parse => async (vault, _, ct) => Json.Key((await vault.Keys.StartDeleteKeyAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value));
    }

    private static Command Recover()
    {
        var name = Name();
        return CommandFactory.Create("recover", "Recover a deleted key.", [name],
            parse => async (vault, _, ct) => Json.Key((await vault.Keys.StartRecoverDeletedKeyAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value));
    }

    private static Command Purge()
    {
        var name = Name();
        return CommandFactory.Create("purge", "Purge a deleted key for good.", [name],
            parse => async (vault, _, ct) =>
            {
                await vault.Keys.PurgeDeletedKeyAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                return null;
            });
    }

    private static Command Sign()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512");
        var digest = Optional("--digest", "The digest to sign, base64.");
        var file = Optional("--file", "Sign this file's data (hashed with the algorithm's hash).", "-f");
        return CommandFactory.Create("sign", "Sign a digest (--digest) or a file's data (--file).", [name, version, alg, digest, file],
            parse =>
            {
                var (bytes, isData) = DigestOrData(parse.GetValue(digest), parse.GetValue(file));
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    var algorithm = new SignatureAlgorithm(parse.GetValue(alg)!);
                    var result = isData ? await crypto.SignDataAsync(algorithm, bytes, ct).ConfigureAwait(false) : await crypto.SignAsync(algorithm, bytes, ct).ConfigureAwait(false);
                    var json = Json.Crypto(result.KeyId, result.Algorithm.ToString());
                    json["signature"] = Json.Base64(result.Signature);
                    return json;
                };
            });
    }

    private static Command Verify()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512");
        var digest = Optional("--digest", "The signed digest, base64.");
        var file = Optional("--file", "The signed file's data.", "-f");
        var signature = Required("--signature", "The signature, base64.");
        return CommandFactory.Create("verify", "Verify a signature of a digest (--digest) or a file's data (--file). Prints isValid.",
            [name, version, alg, digest, file, signature],
            parse =>
            {
                var (bytes, isData) = DigestOrData(parse.GetValue(digest), parse.GetValue(file));
                var signatureBytes = CommandInput.Base64(parse.GetValue(signature)!, "--signature");
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    var algorithm = new SignatureAlgorithm(parse.GetValue(alg)!);
                    var result = isData
                        ? await crypto.VerifyDataAsync(algorithm, bytes, signatureBytes, ct).ConfigureAwait(false)
                        : await crypto.VerifyAsync(algorithm, bytes, signatureBytes, ct).ConfigureAwait(false);
                    var json = Json.Crypto(result.KeyId, result.Algorithm.ToString());
                    json["isValid"] = result.IsValid;
                    return json;
                };
            });
    }

    private static Command Encrypt()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RSA-OAEP RSA-OAEP-256 RSA1_5 A128GCM A192GCM A256GCM A128CBCPAD A192CBCPAD A256CBCPAD");
        var value = Optional("--value", "The plaintext, base64.");
        var file = Optional("--file", "Read the plaintext from this file.", "-f");
        var aad = Optional("--aad", "GCM: additional authenticated data, base64.");
        var iv = Optional("--iv", "CBC: the IV, base64 (default: random).");
        return CommandFactory.Create("encrypt", "Encrypt with a key. Prints result (ciphertext), iv and authenticationTag in base64.",
            [name, version, alg, value, file, aad, iv],
            parse =>
            {
                var plaintext = CommandInput.Base64OrFile(parse.GetValue(value), parse.GetValue(file), "--value", "--file");
                var aadBytes = CommandInput.OptionalBase64(parse.GetValue(aad), "--aad");
                var ivBytes = CommandInput.OptionalBase64(parse.GetValue(iv), "--iv");
                var algorithm = parse.GetValue(alg)!;
                var parameters = algorithm.ToUpperInvariant() switch
                {
                    "A128GCM" => EncryptParameters.A128GcmParameters(plaintext, aadBytes),
                    "A192GCM" => EncryptParameters.A192GcmParameters(plaintext, aadBytes),
                    "A256GCM" => EncryptParameters.A256GcmParameters(plaintext, aadBytes),
                    "A128CBCPAD" => EncryptParameters.A128CbcPadParameters(plaintext, ivBytes),
                    "A192CBCPAD" => EncryptParameters.A192CbcPadParameters(plaintext, ivBytes),
                    "A256CBCPAD" => EncryptParameters.A256CbcPadParameters(plaintext, ivBytes),
                    "RSA-OAEP" => EncryptParameters.RsaOaepParameters(plaintext),
                    "RSA-OAEP-256" => EncryptParameters.RsaOaep256Parameters(plaintext),
                    "RSA1_5" => EncryptParameters.Rsa15Parameters(plaintext),
                    _ => throw CliException.BadParameter($"--alg '{algorithm}' is not an encryption algorithm."),
                };
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    return Json.Encrypt(await crypto.EncryptAsync(parameters, ct).ConfigureAwait(false));
                };
            });
    }

    private static Command Decrypt()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RSA-OAEP RSA-OAEP-256 RSA1_5 A128GCM A192GCM A256GCM A128CBCPAD A192CBCPAD A256CBCPAD");
        var value = Optional("--value", "The ciphertext, base64.");
        var file = Optional("--file", "Read the ciphertext from this file.", "-f");
        var aad = Optional("--aad", "GCM: additional authenticated data, base64.");
        var iv = Optional("--iv", "GCM and CBC: the IV, base64.");
        var tag = Optional("--tag", "GCM: the authentication tag, base64.");
        return CommandFactory.Create("decrypt", "Decrypt with a key. Prints result (plaintext) in base64.",
            [name, version, alg, value, file, aad, iv, tag],
            parse =>
            {
                var ciphertext = CommandInput.Base64OrFile(parse.GetValue(value), parse.GetValue(file), "--value", "--file");
                var aadBytes = CommandInput.OptionalBase64(parse.GetValue(aad), "--aad");
                var ivBytes = CommandInput.OptionalBase64(parse.GetValue(iv), "--iv");
                var tagBytes = CommandInput.OptionalBase64(parse.GetValue(tag), "--tag");
                var algorithm = parse.GetValue(alg)!;
                var upper = algorithm.ToUpperInvariant();
                if (upper.EndsWith("GCM", StringComparison.Ordinal) && (ivBytes is null || tagBytes is null))
                {
                    throw CliException.BadParameter($"--alg {algorithm} needs --iv and --tag.");
                }

                if (upper.EndsWith("CBCPAD", StringComparison.Ordinal) && ivBytes is null)
                {
                    throw CliException.BadParameter($"--alg {algorithm} needs --iv.");
                }

                var parameters = upper switch
                {
                    "A128GCM" => DecryptParameters.A128GcmParameters(ciphertext, ivBytes!, tagBytes!, aadBytes),
                    "A192GCM" => DecryptParameters.A192GcmParameters(ciphertext, ivBytes!, tagBytes!, aadBytes),
                    "A256GCM" => DecryptParameters.A256GcmParameters(ciphertext, ivBytes!, tagBytes!, aadBytes),
                    "A128CBCPAD" => DecryptParameters.A128CbcPadParameters(ciphertext, ivBytes!),
                    "A192CBCPAD" => DecryptParameters.A192CbcPadParameters(ciphertext, ivBytes!),
                    "A256CBCPAD" => DecryptParameters.A256CbcPadParameters(ciphertext, ivBytes!),
                    "RSA-OAEP" => DecryptParameters.RsaOaepParameters(ciphertext),
                    "RSA-OAEP-256" => DecryptParameters.RsaOaep256Parameters(ciphertext),
                    "RSA1_5" => DecryptParameters.Rsa15Parameters(ciphertext),
                    _ => throw CliException.BadParameter($"--alg '{algorithm}' is not an encryption algorithm."),
                };
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    var result = await crypto.DecryptAsync(parameters, ct).ConfigureAwait(false);
                    var json = Json.Crypto(result.KeyId, result.Algorithm.ToString());
                    json["result"] = Json.Base64(result.Plaintext);
                    return json;
                };
            });
    }

    private static Command Wrap()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RSA-OAEP RSA-OAEP-256 A128KW A192KW A256KW");
        var value = Optional("--value", "The key to wrap, base64.");
        var file = Optional("--file", "Read the key to wrap from this file.", "-f");
        return CommandFactory.Create("wrap", "Wrap a key. Prints result (the wrapped key) in base64.", [name, version, alg, value, file],
            parse =>
            {
                var key = CommandInput.Base64OrFile(parse.GetValue(value), parse.GetValue(file), "--value", "--file");
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    var result = await crypto.WrapKeyAsync(new KeyWrapAlgorithm(parse.GetValue(alg)!), key, ct).ConfigureAwait(false);
                    var json = Json.Crypto(result.KeyId, result.Algorithm.ToString());
                    json["result"] = Json.Base64(result.EncryptedKey);
                    return json;
                };
            });
    }

    private static Command Unwrap()
    {
        var name = Name();
        var version = Version();
        var alg = Algorithm("RSA-OAEP RSA-OAEP-256 A128KW A192KW A256KW");
        var value = Optional("--value", "The wrapped key, base64.");
        var file = Optional("--file", "Read the wrapped key from this file.", "-f");
        return CommandFactory.Create("unwrap", "Unwrap a key. Prints result (the key) in base64.", [name, version, alg, value, file],
            parse =>
            {
                var wrapped = CommandInput.Base64OrFile(parse.GetValue(value), parse.GetValue(file), "--value", "--file");
                return async (vault, _, ct) =>
                {
                    using var crypto = vault.Keys.GetCryptographyClient(parse.GetValue(name)!, parse.GetValue(version));
                    var result = await crypto.UnwrapKeyAsync(new KeyWrapAlgorithm(parse.GetValue(alg)!), wrapped, ct).ConfigureAwait(false);
                    var json = Json.Crypto(result.KeyId, result.Algorithm.ToString());
                    json["result"] = Json.Base64(result.Key);
                    return json;
                };
            });
    }

    private static Command RotationPolicy()
    {
        var showName = Name();
        var show = CommandFactory.Create("show", "Show a key's rotation policy.", [showName],
            parse => async (vault, _, ct) =>
                Json.RotationPolicy(parse.GetValue(showName)!, await vault.Keys.GetKeyRotationPolicyAsync(parse.GetValue(showName)!, ct).ConfigureAwait(false)));

        var setName = Name();
        var expiresIn = Optional("--expires-in", "Expiry of new versions, ISO 8601 duration (for example P90D).");
        var rotateAfter = Optional("--rotate-after-create", "Rotate this long after a version is created (ISO 8601 duration).");
        var rotateBefore = Optional("--rotate-before-expiry", "Rotate this long before a version expires (ISO 8601 duration).");
        var notifyBefore = Optional("--notify-before-expiry", "Notify this long before a version expires (ISO 8601 duration).");
        var set = CommandFactory.Create("set", "Set a key's rotation policy.", [setName, expiresIn, rotateAfter, rotateBefore, notifyBefore],
            parse =>
            {
                if (parse.GetValue(rotateAfter) is not null && parse.GetValue(rotateBefore) is not null)
                {
                    throw CliException.BadParameter("Give one of --rotate-after-create and --rotate-before-expiry.");
                }

                var policy = new KeyRotationPolicy { ExpiresIn = parse.GetValue(expiresIn) };
                if (parse.GetValue(rotateAfter) is { } after)
                {
                    policy.LifetimeActions.Add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeAfterCreate = after });
                }

                if (parse.GetValue(rotateBefore) is { } before)
                {
                    policy.LifetimeActions.Add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.Rotate) { TimeBeforeExpiry = before });
                }

                if (parse.GetValue(notifyBefore) is { } notify)
                {
                    policy.LifetimeActions.Add(new KeyRotationLifetimeAction(KeyRotationPolicyAction.Notify) { TimeBeforeExpiry = notify });
                }

                return async (vault, _, ct) =>
                    Json.RotationPolicy(parse.GetValue(setName)!, await vault.Keys.UpdateKeyRotationPolicyAsync(parse.GetValue(setName)!, policy, ct).ConfigureAwait(false));
            });
        return Group("rotation-policy", "Show or set a key's rotation policy.", show, set);
    }

    private static Option<string> Algorithm(string choices)
    {
        var option = Required("--alg", $"The algorithm: {choices.Replace(" ", ", ", StringComparison.Ordinal)}.", "-a");
        option.CompletionSources.Add(choices.Split(' '));
        return option;
    }

    private static (byte[] Bytes, bool IsData) DigestOrData(string? digest, string? file)
    {
        if ((digest is null) == (file is null))
        {
            throw CliException.BadParameter("Give exactly one of --digest (base64) and --file.");
        }

        return digest is not null ? (CommandInput.Base64(digest, "--digest"), false) : (CommandInput.ReadFile(file!, "--file"), true);
    }
}
