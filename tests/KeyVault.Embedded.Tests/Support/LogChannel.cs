using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>A logger provider that streams every record with one event id, so a test can wait for it (with a timeout).</summary>
public sealed class LogChannel(int eventId) : ILoggerProvider
{
    private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();

    /// <summary>Waits until a record's message contains <paramref name="text"/>.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (!(await _messages.Reader.ReadAsync(cancel.Token)).Contains(text, StringComparison.Ordinal))
        {
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogChannel channel) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == channel.EventId)
            {
                channel._messages.Writer.TryWrite(formatter(state, exception));
            }
        }
    }

    private int EventId { get; } = eventId;
}
