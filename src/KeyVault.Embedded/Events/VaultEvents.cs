using KeyVault.Embedded.Diagnostics;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Events;

/// <summary>
/// The vault's event stream: observers get each event synchronously, on the thread that made the change, after the
/// change is on disk. An observer that throws is logged and does not affect the change or the other observers.
/// </summary>
internal sealed class VaultEvents : IObservable<VaultEvent>
{
    private readonly VaultTelemetry _telemetry;
    private readonly Uri _vaultUri;
    private readonly TimeProvider _time;
    private IObserver<VaultEvent>[] _observers = [];

    public VaultEvents(VaultTelemetry telemetry, Uri vaultUri, TimeProvider time)
    {
        _telemetry = telemetry;
        _vaultUri = vaultUri;
        _time = time;
    }

    public IDisposable Subscribe(IObserver<VaultEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        Update(current => [.. current, observer]);
        return new Subscription(this, observer);
    }

    /// <summary>Raises an event about an object of a public kind (a certificate's pending operation raises none).</summary>
    public void Raise(VaultEventType eventType, ObjectType type, string name, string? version, DateTimeOffset? expiresOn = null)
    {
        var observers = Volatile.Read(ref _observers);
        if ((observers.Length == 0 && !_telemetry.CountsEvents) || ToKind(type) is not { } kind)
        {
            return;
        }

        Publish(Create(eventType, kind, name, version, expiresOn));
    }

    /// <summary>An event about an object of a public kind, not yet published.</summary>
    public VaultEvent Create(VaultEventType eventType, VaultObjectKind kind, string name, string? version, DateTimeOffset? expiresOn = null) =>
        new(eventType, kind, name, version, _vaultUri, _time.GetUtcNow(), expiresOn);

    /// <summary>Counts the event and hands it to every observer.</summary>
    public void Publish(VaultEvent raised)
    {
        _telemetry.EventRaised(raised);
        foreach (var observer in Volatile.Read(ref _observers))
        {
            try
            {
                observer.OnNext(raised);
            }
            catch (Exception ex)
            {
                _telemetry.ObserverFailed(raised, ex);
            }
        }
    }

    /// <summary>Tells every observer the stream has ended (the vault closed).</summary>
    public void Complete()
    {
        var observers = Interlocked.Exchange(ref _observers, []);
        foreach (var observer in observers)
        {
            try
            {
                observer.OnCompleted();
            }
            catch (Exception ex)
            {
                _telemetry.ObserverFailed(null, ex);
            }
        }
    }

    public static VaultObjectKind? ToKind(ObjectType type) => type switch
    {
        ObjectType.Secret => VaultObjectKind.Secret,
        ObjectType.Key => VaultObjectKind.Key,
        ObjectType.Certificate => VaultObjectKind.Certificate,
        _ => null,
    };

    private void Update(Func<IObserver<VaultEvent>[], IObserver<VaultEvent>[]> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _observers);
            if (Interlocked.CompareExchange(ref _observers, change(current), current) == current)
            {
                return;
            }
        }
    }

    private sealed class Subscription(VaultEvents events, IObserver<VaultEvent> observer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                events.Update(current => Array.FindAll(current, o => !ReferenceEquals(o, observer)));
            }
        }
    }
}
