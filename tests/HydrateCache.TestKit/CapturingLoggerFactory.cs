using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HydrateCache.TestKit;

/// <summary>Records every log entry (event id, level, formatted message, exception) so tests can check what was logged, and how often.</summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    /// <summary>Gets every entry logged so far, in order.</summary>
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    /// <summary>Returns how many entries with <paramref name="eventId"/> were logged.</summary>
    public int Count(int eventId) => Entries.Count(e => e.EventId == eventId);

    /// <summary>Returns whether an entry with <paramref name="eventId"/> was logged.</summary>
    public bool Contains(int eventId) => Entries.Any(e => e.EventId == eventId);

    /// <summary>Returns the entries with <paramref name="eventId"/>.</summary>
    public IReadOnlyList<LogEntry> WithId(int eventId) => [.. Entries.Where(e => e.EventId == eventId)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    /// <summary>One log entry.</summary>
    public sealed record LogEntry(string Category, int EventId, LogLevel Level, string Message, Exception? Exception);

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new LogEntry(category, eventId.Id, logLevel, formatter(state, exception), exception));
    }
}
