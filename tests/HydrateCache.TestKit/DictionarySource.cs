using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace HydrateCache.TestKit;

/// <summary>
/// A system of record in memory: writers store a value here before they publish it, as they would write a database.
/// Counts its loads, and can be made to fail, so a test can prove a load happened (or was retried).
/// </summary>
/// <typeparam name="T">The type of the values.</typeparam>
public sealed class DictionarySource<T> : IHydrationSource<T>
{
    private readonly ConcurrentDictionary<string, T> _rows = new(StringComparer.Ordinal);
    private int _loads;
    private int _failuresLeft;

    /// <summary>Gets the number of loads that completed.</summary>
    public int Loads => Volatile.Read(ref _loads);

    /// <summary>Gets or sets a task every load waits for before it reads (to hold a load while a test publishes).</summary>
    public Task Gate { get; set; } = Task.CompletedTask;

    /// <summary>Stores a row.</summary>
    public void Write(string key, T value) => _rows[key] = value;

    /// <summary>Makes the next <paramref name="count"/> loads throw.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    /// <inheritdoc />
    public async IAsyncEnumerable<HydrationEntry<T>> LoadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("The system of record is unavailable (injected).");
        }

        var rows = _rows.ToArray();
        await Gate.WaitAsync(cancellationToken);
        foreach (var (key, value) in rows)
        {
            yield return new HydrationEntry<T>(key, value);
        }

        Interlocked.Increment(ref _loads);
    }

    private readonly ConcurrentDictionary<string, int> _keyLoads = new(StringComparer.Ordinal);
    private int _keyFailuresLeft;

    /// <summary>Gets the number of single-key loads started (<see cref="LoadAsync(string, CancellationToken)"/>), of every key.</summary>
    public int KeyLoads => _keyLoads.Values.Sum();

    /// <summary>Gets or sets a task every single-key load waits for before it reads (to hold loads while readers pile up).</summary>
    public Task KeyGate { get; set; } = Task.CompletedTask;

    /// <summary>Gets the number of single-key loads of <paramref name="key"/> started.</summary>
    public int KeyLoadsOf(string key) => _keyLoads.GetValueOrDefault(key);

    /// <summary>Makes the next <paramref name="count"/> single-key loads throw (after <see cref="KeyGate"/>).</summary>
    public void FailNextKeyLoads(int count) => Volatile.Write(ref _keyFailuresLeft, count);

    /// <inheritdoc />
    public async ValueTask<HydrationEntry<T>?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        _keyLoads.AddOrUpdate(key, 1, static (_, count) => count + 1);
        await KeyGate.WaitAsync(cancellationToken);
        if (Interlocked.Decrement(ref _keyFailuresLeft) >= 0)
        {
            throw new InvalidOperationException("The system of record is unavailable (injected).");
        }

        return _rows.TryGetValue(key, out var value) ? new HydrationEntry<T>(key, value) : null;
    }
}
