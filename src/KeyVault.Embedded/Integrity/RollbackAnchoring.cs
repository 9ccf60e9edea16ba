using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.KeyHierarchy;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Integrity;

/// <summary>
/// The vault's rollback anchor, kept one rule in one place: after every durable commit the anchor records the
/// generation and root; when it cannot, the vault faults (no further write until reopened, and the reopen advances the
/// anchor or fails), so the anchor is never more than one commit behind the files.
/// </summary>
internal sealed class RollbackAnchoring : IDisposable
{
    private readonly Action _fault;
    private readonly VaultTelemetry _telemetry;

    /// <param name="anchor">The anchor, when one is configured.</param>
    /// <param name="anchorFor">Opens the anchor the vault has under a given root (the configured file, or the root's token).</param>
    /// <param name="fault">Faults the vault (a failed anchor write).</param>
    /// <param name="telemetry">Where a failure is logged.</param>
    public RollbackAnchoring(IRollbackAnchor? anchor, Func<IRootKey, IRollbackAnchor?> anchorFor, Action fault, VaultTelemetry telemetry)
    {
        Anchor = anchor;
        AnchorFor = anchorFor;
        _fault = fault;
        _telemetry = telemetry;
    }

    /// <summary>The anchor, when one is configured; replaced when the root is rotated (a token anchor follows its root).</summary>
    public IRollbackAnchor? Anchor { get; private set; }

    /// <summary>Opens the anchor the vault has under a given root.</summary>
    public Func<IRootKey, IRollbackAnchor?> AnchorFor { get; }

    /// <summary>The last failure to advance the anchor (the health check reports it), or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Records a committed generation and root in the anchor, with the header's lineage (the commit is durable already).</summary>
    /// <exception cref="VaultException"><c>StorageFailure</c>: the anchor could not be written; the vault is faulted.</exception>
    public void Advance(Records.VaultHeader header, Manifest manifest, MetadataKeys keys)
    {
        if (Anchor is null)
        {
            return;
        }

        Write(Anchor, new AnchorState(header.VaultId, manifest.Generation, manifest.Root, header.Lineage).Encode(keys), manifest.Generation, "the commit is on disk; the vault takes no further writes until it is reopened, which records it in the anchor");
        Failure = null;
    }

    /// <summary>Writes an anchor, turning any failure into a fault of the vault and a typed error.</summary>
    public void Write(IRollbackAnchor anchor, byte[] content, long generation, string consequence)
    {
        try
        {
            anchor.Write(content);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Failure = ex;
            _fault();
            _telemetry.Logger.LogError(VaultLogEvents.StorageFailure, ex, "The rollback anchor ({Anchor}) could not record generation {Generation}.", anchor.Description, generation);
            throw VaultErrors.StorageFailure($"the {anchor.Description} could not be written ({ex.GetType().Name}); {consequence}", ex);
        }
    }

    /// <summary>Moves to the anchor of a new root (after the root rotation committed); the old one is closed.</summary>
    public void Replace(IRollbackAnchor? next)
    {
        var previous = Anchor;
        Anchor = next;
        if (!ReferenceEquals(previous, next))
        {
            previous?.Dispose();
        }
    }

    public void Dispose() => Anchor?.Dispose();
}
