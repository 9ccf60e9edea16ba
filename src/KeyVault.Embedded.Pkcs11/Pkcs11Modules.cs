using System.Runtime.InteropServices;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// PKCS#11 modules, loaded once per process. A module is initialised once (C_Initialize) and shared by every vault and
/// token of the process: loading it twice would fail, and finalising it would end every other user's sessions. Modules
/// stay loaded until the process exits.
/// </summary>
internal static class Pkcs11Modules
{
    private static readonly Lock Sync = new();
    private static readonly Dictionary<string, IPkcs11Library> Loaded = new(StringComparer.Ordinal);
    private static bool _resolverInstalled;

    public static Pkcs11InteropFactories Factories { get; } = new();

    public static IPkcs11Library Load(string path)
    {
        lock (Sync)
        {
            InstallLibdlResolver();
            if (Loaded.TryGetValue(path, out var library))
            {
                return library;
            }

            try
            {
                library = Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
            }
            catch (Exception ex) when (ex is UnmanagedException or DllNotFoundException or BadImageFormatException or Pkcs11Exception)
            {
                throw Pkcs11Errors.ModuleNotFound(path, ex);
            }

            Loaded[path] = library;
            return library;
        }
    }

    /// <summary>
    /// Pkcs11Interop 5.3 loads modules through <c>dlopen</c> from "libdl", a library name that glibc 2.34 and later no
    /// longer ship (the functions moved into libc; only libdl.so.2 remains). Without this resolver no module loads.
    /// </summary>
    private static void InstallLibdlResolver()
    {
        if (_resolverInstalled || OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            NativeLibrary.SetDllImportResolver(typeof(CKA).Assembly, static (name, _, _) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // The application installed its own resolver for Pkcs11Interop first: keep it.
        }

        _resolverInstalled = true;
    }
}
