using Spectre.Console;

namespace KeyVault.Embedded.Cli.Output;

/// <summary>
/// Shows a long operation's <see cref="VaultProgress"/> on standard error: a Spectre.Console progress bar when standard
/// error is a terminal, plain lines (<c>backup: 40/100 records</c>) when it is redirected, so logs stay readable.
/// Standard output is left to the result.
/// </summary>
internal static class ProgressDisplay
{
    public static async Task<T> RunAsync<T>(string label, Func<IProgress<VaultProgress>, Task<T>> work, string unit = "records")
    {
        if (Console.IsErrorRedirected)
        {
            var lines = new PlainLines(label, unit);
            var result = await work(lines).ConfigureAwait(false);
            lines.Finish();
            return result;
        }

        // Standard error is a terminal: ANSI and interactivity are forced on, because detection reads $TERM, which a
        // terminal multiplexer or a bare pseudo-terminal may leave unset.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(Console.Error),
        });
        T value = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: 1);
                var bar = new Bar(task);
                value = await work(bar).ConfigureAwait(false);
                bar.Finish();
            }).ConfigureAwait(false);
        return value;
    }

    /// <summary>Runs the report on the caller's thread: <see cref="Progress{T}"/> would post it and lose the last ones.</summary>
    private sealed class Bar(ProgressTask task) : IProgress<VaultProgress>
    {
        public void Report(VaultProgress value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = Math.Min(value.Completed, task.MaxValue);
        }

        public void Finish()
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private sealed class PlainLines(string label, string unit) : IProgress<VaultProgress>
    {
        private readonly object gate = new();
        private long lastCompleted = -1;
        private long lastTotal = -1;
        private int lastTenth = -1;

        public void Report(VaultProgress value)
        {
            lock (gate)
            {
                // One line per tenth of the way (and at the end), not one per record: a million records stay readable.
                var tenth = value.Total <= 0 ? 10 : (int)(value.Completed * 10 / value.Total);
                if (tenth == lastTenth && value.Completed != value.Total)
                {
                    return;
                }

                if (value.Completed == lastCompleted && value.Total == lastTotal)
                {
                    return;
                }

                lastTenth = tenth;
                lastCompleted = value.Completed;
                lastTotal = value.Total;
                Console.Error.WriteLine($"{label}: {value.Completed}/{value.Total} {unit}");
            }
        }

        public void Finish()
        {
            lock (gate)
            {
                if (lastCompleted < 0)
                {
                    Console.Error.WriteLine($"{label}: done");
                }
            }
        }
    }
}
