using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HydrateCache.Redis.Tests;

/// <summary>Records every log entry (event id, level, message) so tests can check what was logged.</summary>
internal sealed class TestLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(int EventId, LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public bool Logged(int eventId) => Entries.Any(e => e.EventId == eventId);

    private sealed class Logger(TestLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
