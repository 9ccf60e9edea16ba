using System.Diagnostics;
using System.Diagnostics.Metrics;
using KeyVault.Embedded.Events;
using KeyVault.Embedded.Lifecycle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyVault.Embedded.Diagnostics;

/// <summary>
/// Logs, metrics and traces for one vault. Every operation passes through <see cref="Start"/> and
/// <see cref="Succeeded"/> or <see cref="Failed"/>; with nobody listening, that costs a few checks.
/// </summary>
internal sealed class VaultTelemetry : Operations.OperationPolicy
{
    private static readonly ActivitySource Source = new(EmbeddedVaultDiagnostics.ActivitySourceName);
    private static readonly Lazy<Instruments> SharedInstruments = new(() => new Instruments(new Meter(EmbeddedVaultDiagnostics.MeterName)));

    private static readonly Action<ILogger, string, string, string?, double, Exception?> LogSecret = Completed(VaultLogEvents.SecretOperation, LogLevel.Debug);
    private static readonly Action<ILogger, string, string, string?, double, Exception?> LogKey = Completed(VaultLogEvents.KeyOperation, LogLevel.Debug);
    private static readonly Action<ILogger, string, string, string?, double, Exception?> LogCertificate = Completed(VaultLogEvents.CertificateOperation, LogLevel.Debug);
    private static readonly Action<ILogger, string, string, string?, double, Exception?> LogVault = Completed(VaultLogEvents.VaultOperation, LogLevel.Debug);

    private ILogger _logger;
    private Instruments _instruments;

    public VaultTelemetry(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("KeyVault.Embedded");
        _instruments = meterFactory is null ? SharedInstruments.Value : new Instruments(meterFactory.Create(EmbeddedVaultDiagnostics.MeterName));
    }

    public ILogger Logger => _logger;

    /// <summary>
    /// Gives a vault opened without logging or a meter factory (by a configuration provider, before the host's
    /// services exist) the host's, once.
    /// </summary>
    public void Attach(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        if (loggerFactory is not null && ReferenceEquals(_logger, NullLogger.Instance))
        {
            _logger = loggerFactory.CreateLogger("KeyVault.Embedded");
        }

        if (meterFactory is not null && ReferenceEquals(_instruments, SharedInstruments.Value))
        {
            _instruments = new Instruments(meterFactory.Create(EmbeddedVaultDiagnostics.MeterName));
        }
    }

    /// <summary>The telemetry policy of the operation path: the operation's activity starts, and it is timed when anyone listens.</summary>
    public override void OnStart(ref Operations.OperationContext context) => context.Telemetry = Start(context.Operation, context.Type, context.Name);

    /// <inheritdoc/>
    public override void OnEnd(ref Operations.OperationContext context, Exception? failure)
    {
        if (failure is null)
        {
            Succeeded(in context.Telemetry);
        }
        else
        {
            Failed(in context.Telemetry, failure);
        }
    }

    public Scope Start(string operation, ObjectType? type, string? name)
    {
        var activity = Source.HasListeners() ? Source.StartActivity(operation, ActivityKind.Internal) : null;
        if (activity is not null)
        {
            activity.SetTag("keyvault.operation", operation);
            activity.SetTag("keyvault.object_type", type?.DisplayName());
            activity.SetTag("keyvault.object_name", name);
        }

        var timed = activity is not null || _instruments.Duration.Enabled || _logger.IsEnabled(LogLevel.Debug);
        return new Scope(operation, type, name, timed ? Stopwatch.GetTimestamp() : 0, activity);
    }

    public void Succeeded(in Scope scope)
    {
        // Nobody timing, tracing or logging the operation, and nobody counting: nothing to do.
        if (scope.Timed || _instruments.Operations.Enabled)
        {
            Report(in scope);
        }
    }

    private void Report(in Scope scope)
    {
        var elapsed = scope.Elapsed();
        if (_instruments.Operations.Enabled)
        {
            _instruments.Operations.Add(1, new TagList { { "keyvault.operation", scope.Operation }, { "keyvault.object_type", scope.TypeName }, { "keyvault.outcome", "success" } });
        }

        if (_instruments.Duration.Enabled)
        {
            _instruments.Duration.Record(elapsed, new TagList { { "keyvault.operation", scope.Operation }, { "keyvault.outcome", "success" } });
        }

        if (scope.Activity is { } activity)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
            activity.Dispose();
        }

        var log = scope.Operation.StartsWith("Vault", StringComparison.Ordinal) ? LogVault : scope.Type switch
        {
            ObjectType.Secret => LogSecret,
            ObjectType.Key => LogKey,
            ObjectType.Certificate or ObjectType.CertificateOperation => LogCertificate,
            _ => LogVault,
        };
        log(_logger, scope.Operation, scope.TypeName, scope.Name ?? "(all)", elapsed * 1000, null);
    }

    public void Failed(in Scope scope, Exception exception)
    {
        var elapsed = scope.Elapsed();
        var code = exception switch
        {
            VaultException vault => vault.ErrorCode.ToString(),
            OperationCanceledException => "Cancelled",
            _ => exception.GetType().Name,
        };
        if (_instruments.Operations.Enabled)
        {
            _instruments.Operations.Add(1, new TagList
            {
                { "keyvault.operation", scope.Operation }, { "keyvault.object_type", scope.TypeName }, { "keyvault.outcome", "failure" }, { "error.type", code },
            });
        }

        if (_instruments.Duration.Enabled)
        {
            _instruments.Duration.Record(elapsed, new TagList { { "keyvault.operation", scope.Operation }, { "keyvault.outcome", "failure" } });
        }

        if (scope.Activity is { } activity)
        {
            activity.SetTag("error.type", code);
            activity.SetStatus(ActivityStatusCode.Error, code);
            activity.Dispose();
        }

        var (eventId, level) = Classify(exception);
        if (_logger.IsEnabled(level))
        {
            // VaultException messages name the rule broken and never carry a value; other exceptions are attached whole.
            _logger.Log(level, eventId, level >= LogLevel.Error ? exception : null,
                "{Operation} on {ObjectType} '{Name}' failed: {ErrorCode} ({Status}). {Reason}",
                scope.Operation, scope.TypeName, scope.Name, code, (exception as VaultException)?.Status, exception is VaultException ? exception.Message : exception.GetType().Name);
        }
    }

    public bool CountsEvents => _instruments.Events.Enabled;

    public void Opened(Guid vaultId, string path) =>
        _logger.LogInformation(VaultLogEvents.VaultOpened, "Vault {VaultId} opened at {Path}.", vaultId.ToString("N"), path);

    public void CaughtUp(Guid vaultId, long from, long to) =>
        _logger.LogDebug(VaultLogEvents.CaughtUp, "Vault {VaultId} caught up from generation {From} to {To} (commits of other instances).", vaultId.ToString("N"), from, to);

    public void RollbackRefused(Guid vaultId, string detail) =>
        _logger.LogCritical(VaultLogEvents.RollbackRefused, "Vault {VaultId} refuses writes: {Detail}.", vaultId.ToString("N"), detail);

    public void CatchUpFailed(Guid vaultId, Exception exception) =>
        _logger.LogWarning(VaultLogEvents.CatchUpFailed, exception, "Vault {VaultId} could not catch up with its shared store; it keeps its verified view and tries again.", vaultId.ToString("N"));

    public void Closed(Guid vaultId) =>
        _logger.LogInformation(VaultLogEvents.VaultClosed, "Vault {VaultId} closed.", vaultId.ToString("N"));

    public void EventRaised(VaultEvent raised)
    {
        if (_instruments.Events.Enabled)
        {
            _instruments.Events.Add(1, new TagList { { "keyvault.event", raised.EventType.ToString() }, { "keyvault.object_type", raised.ObjectKind.ToString() } });
        }
    }

    public void ObserverFailed(VaultEvent? raised, Exception exception) =>
        _logger.LogError(VaultLogEvents.ObserverFailed, exception, "An observer of the vault's events threw on {Event}; the change stands.", raised?.ToString() ?? "completion");

    private static (EventId, LogLevel) Classify(Exception exception) => exception switch
    {
        VaultObjectNotFoundException => (VaultLogEvents.NotFound, LogLevel.Debug),
        VaultIntegrityException => (VaultLogEvents.IntegrityFailure, LogLevel.Error),
        OperationCanceledException => (VaultLogEvents.OperationFailed, LogLevel.Debug),
        VaultException { Status: 400 } => (VaultLogEvents.BadParameter, LogLevel.Warning),
        VaultException { Status: 401 or 403 } => (VaultLogEvents.Forbidden, LogLevel.Warning),
        VaultException { Status: 404 } => (VaultLogEvents.NotFound, LogLevel.Debug),
        VaultException { Status: 409 } => (VaultLogEvents.Conflict, LogLevel.Warning),
        VaultException vault when vault.ErrorCode == VaultErrorCode.StorageFailure => (VaultLogEvents.StorageFailure, LogLevel.Error),
        _ => (VaultLogEvents.OperationFailed, LogLevel.Error),
    };

    private static Action<ILogger, string, string, string?, double, Exception?> Completed(EventId eventId, LogLevel level) =>
        LoggerMessage.Define<string, string, string?, double>(level, eventId, "{Operation} on {ObjectType} '{Name}' completed in {ElapsedMilliseconds:0.###} ms");

    /// <summary>One operation in flight.</summary>
    internal readonly struct Scope(string operation, ObjectType? type, string? name, long started, Activity? activity)
    {
        public string Operation { get; } = operation;

        public ObjectType? Type { get; } = type;

        public string TypeName => Type?.DisplayName() ?? "vault";

        public string? Name { get; } = name;

        public Activity? Activity { get; } = activity;

        /// <summary>Whether the operation is timed (someone traces, measures durations or logs at debug level).</summary>
        public bool Timed => started != 0;

        public double Elapsed() => started == 0 ? 0 : Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private sealed class Instruments(Meter meter)
    {
        public Counter<long> Operations { get; } = meter.CreateCounter<long>(EmbeddedVaultDiagnostics.OperationsInstrument, "{operation}", "Vault operations, by operation, object type and outcome.");

        public Histogram<double> Duration { get; } = meter.CreateHistogram<double>(EmbeddedVaultDiagnostics.DurationInstrument, "s", "Duration of vault operations.");

        public Counter<long> Events { get; } = meter.CreateCounter<long>(EmbeddedVaultDiagnostics.EventsInstrument, "{event}", "Vault events raised, by event and object type.");
    }
}
