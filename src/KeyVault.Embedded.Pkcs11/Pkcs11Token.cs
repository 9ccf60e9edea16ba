using System.Collections.Concurrent;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// One logged-in token: its slot, a pool of read-write sessions (PKCS#11 sessions are not for concurrent use, so each
/// operation rents one), and what the token can do, read once from its mechanism list.
/// </summary>
/// <remarks>
/// Login is per application and token: the first session logs in and every other session shares it
/// (<c>CKR_USER_ALREADY_LOGGED_IN</c> means another vault in this process did it first, which is fine). One session
/// stays open for the token's lifetime so the login holds; the token never logs out, since logout would end the
/// login of every session in the process.
/// </remarks>
internal sealed class Pkcs11Token : IDisposable
{
    // The PIN of every login this process holds, as an HMAC under a key that never leaves the process: when a token is
    // logged in already (by another vault of this process), a new vault's PIN is compared with it, not taken on trust.
    private static readonly byte[] PinKey = RandomNumberGenerator.GetBytes(32);
    private static readonly ConcurrentDictionary<string, byte[]> Logins = new(StringComparer.Ordinal);
    private static readonly Lock LoginSync = new();

    private readonly ISession _keeper;
    private readonly ConcurrentBag<ISession> _pool = [];
    private readonly HashSet<CKM> _mechanisms;
    private readonly ConcurrentDictionary<CKM, bool> _oaepHashes = new();
    private int _disposed;

    private Pkcs11Token(ISlot slot, ITokenInfo info, ISession keeper)
    {
        Slot = slot;
        Label = info.Label.Trim();
        Serial = info.SerialNumber.Trim();
        _keeper = keeper;
        _mechanisms = [.. slot.GetMechanismList()];
    }

    public ISlot Slot { get; }

    public string Label { get; }

    public string Serial { get; }

    public static Pkcs11InteropFactories Factories => Pkcs11Modules.Factories;

    /// <summary>Loads the module, finds the token and logs in.</summary>
    public static Pkcs11Token Open(string modulePath, string? tokenLabel, ulong? slotId, ReadOnlySpan<byte> pin)
    {
        var library = Pkcs11Modules.Load(modulePath);
        var slots = library.GetSlotList(SlotsType.WithTokenPresent)
            .Select(s => (Slot: s, Info: s.GetTokenInfo()))
            .Where(s => (slotId is null || s.Slot.SlotId == slotId) && (tokenLabel is null || s.Info.Label.Trim() == tokenLabel))
            .ToList();
        var wanted = slotId is { } id ? $"slot {id}" : $"label '{tokenLabel}'";
        if (slots.Count != 1)
        {
            throw Pkcs11Errors.TokenNotFound($"{wanted} in module '{modulePath}' ({slots.Count} found)");
        }

        var (slot, info) = slots[0];
        var session = slot.OpenSession(SessionType.ReadWrite);
        var pinCopy = pin.ToArray();
        var tag = HMACSHA256.HashData(PinKey, pinCopy);
        var login = $"{Path.GetFullPath(modulePath)}|{info.SerialNumber.Trim()}";
        try
        {
            lock (LoginSync)
            {
                try
                {
                    session.Login(CKU.CKU_USER, pinCopy);
                    Logins[login] = tag.ToArray();
                }
                catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
                {
                    // Another vault of this process logged in to this token first; the token did not look at this PIN, so
                    // compare it with the one that login used.
                    if (!Logins.TryGetValue(login, out var held))
                    {
                        throw Pkcs11Errors.PinUnverifiable(info.Label.Trim());
                    }

                    if (!CryptographicOperations.FixedTimeEquals(held, tag))
                    {
                        throw Pkcs11Errors.PinIncorrect(info.Label.Trim(), CKR.CKR_PIN_INCORRECT, ex);
                    }
                }
            }
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_EXPIRED)
        {
            session.Dispose();
            throw Pkcs11Errors.PinIncorrect(info.Label.Trim(), ex.RV, ex);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pinCopy);
            CryptographicOperations.ZeroMemory(tag);
        }

        return new Pkcs11Token(slot, info, session);
    }

    public bool Supports(CKM mechanism) => _mechanisms.Contains(mechanism);

    /// <summary>Throws <c>MechanismNotSupported</c> when the token's mechanism list lacks <paramref name="mechanism"/>.</summary>
    public void Require(CKM mechanism, string purpose)
    {
        if (!Supports(mechanism))
        {
            throw Pkcs11Errors.MechanismNotSupported(Label, mechanism.ToString(), purpose);
        }
    }

    /// <summary>
    /// Whether the token does RSA-OAEP with this hash. The mechanism list says only that CKM_RSA_PKCS_OAEP exists, not
    /// which hashes it takes (SoftHSM 2.6.1 takes SHA-1 only and answers CKR_ARGUMENTS_BAD otherwise), so this is
    /// asked once per hash by starting an encryption with a throwaway public key, and remembered.
    /// </summary>
    public bool SupportsOaep(CKM hash) => Supports(CKM.CKM_RSA_PKCS_OAEP) && _oaepHashes.GetOrAdd(hash, ProbeOaep);

    public T Run<T>(string operation, Func<ISession, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var session = Rent();
        try
        {
            return work(session);
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED)
        {
            session.Dispose();
            session = null;
            throw Pkcs11Errors.TokenFailure(Label, operation, ex);
        }
        finally
        {
            if (session is not null)
            {
                Return(session);
            }
        }
    }

    public static IMechanism Mechanism(CKM mechanism) => Factories.MechanismFactory.Create(mechanism);

    /// <summary>
    /// Wraps raw bytes with <c>CKM_AES_KEY_WRAP</c>. Tokens wrap key objects, not bytes (C_Encrypt with the wrap
    /// mechanism fails), so the bytes become a short-lived session object that is destroyed at once.
    /// </summary>
    public static byte[] WrapBytes(ISession session, IObjectHandle wrappingKey, ReadOnlySpan<byte> bytes)
    {
        var value = bytes.ToArray();
        IObjectHandle? temporary = null;
        try
        {
            temporary = session.CreateObject([.. TemporarySecretTemplate(), Attribute(CKA.CKA_VALUE, value)]);
            return session.WrapKey(Mechanism(CKM.CKM_AES_KEY_WRAP), wrappingKey, temporary);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
            if (temporary is not null)
            {
                session.DestroyObject(temporary);
            }
        }
    }

    /// <summary>
    /// Unwraps with <c>CKM_AES_KEY_WRAP</c> into a short-lived session object, reads its value and destroys it.
    /// </summary>
    /// <exception cref="CryptographicException">The input was not wrapped by this key (RFC 3394's integrity check failed).</exception>
    public static byte[] UnwrapBytes(ISession session, IObjectHandle unwrappingKey, byte[] wrapped)
    {
        IObjectHandle temporary;
        try
        {
            temporary = session.UnwrapKey(Mechanism(CKM.CKM_AES_KEY_WRAP), unwrappingKey, wrapped, TemporarySecretTemplate());
        }
        catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_GENERAL_ERROR or CKR.CKR_WRAPPED_KEY_INVALID or CKR.CKR_WRAPPED_KEY_LEN_RANGE
            or CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_DATA_INVALID)
        {
            throw new CryptographicException($"The token's AES key unwrap failed its integrity check ({ex.RV}).", ex);
        }

        try
        {
            return session.GetAttributeValue(temporary, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
        }
        finally
        {
            session.DestroyObject(temporary);
        }
    }

    private static List<IObjectAttribute> TemporarySecretTemplate() =>
    [
        Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
        Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET),
        Attribute(CKA.CKA_TOKEN, false),
        Attribute(CKA.CKA_PRIVATE, true),
        Attribute(CKA.CKA_EXTRACTABLE, true),
        Attribute(CKA.CKA_SENSITIVE, false),
    ];

    public static IObjectAttribute Attribute(CKA type, bool value) => Factories.ObjectAttributeFactory.Create(type, value);

    public static IObjectAttribute Attribute(CKA type, byte[] value) => Factories.ObjectAttributeFactory.Create(type, value);

    public static IObjectAttribute Attribute(CKA type, string value) => Factories.ObjectAttributeFactory.Create(type, value);

    public static IObjectAttribute Attribute(CKA type, ulong value) => Factories.ObjectAttributeFactory.Create(type, value);

    public static IObjectAttribute Attribute(CKA type, CKO value) => Factories.ObjectAttributeFactory.Create(type, value);

    public static IObjectAttribute Attribute(CKA type, CKK value) => Factories.ObjectAttributeFactory.Create(type, value);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_pool.TryTake(out var session))
        {
            session.Dispose();
        }

        _keeper.Dispose();
    }

    private ISession Rent() => _pool.TryTake(out var session) ? session : Slot.OpenSession(SessionType.ReadWrite);

    private void Return(ISession session)
    {
        if (_disposed != 0)
        {
            session.Dispose();
            return;
        }

        _pool.Add(session);
    }

    private bool ProbeOaep(CKM hash)
    {
        using var rsa = RSA.Create(1024);
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        return Run("an RSA-OAEP capability probe", session =>
        {
            var key = session.CreateObject(
            [
                Attribute(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                Attribute(CKA.CKA_TOKEN, false),
                Attribute(CKA.CKA_ENCRYPT, true),
                Attribute(CKA.CKA_MODULUS, parameters.Modulus!),
                Attribute(CKA.CKA_PUBLIC_EXPONENT, parameters.Exponent!),
            ]);
            try
            {
                session.Encrypt(RsaMechanisms.Oaep(hash), key, [1]);
                return true;
            }
            catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_ARGUMENTS_BAD or CKR.CKR_MECHANISM_PARAM_INVALID or CKR.CKR_MECHANISM_INVALID)
            {
                return false;
            }
            finally
            {
                session.DestroyObject(key);
            }
        });
    }
}
