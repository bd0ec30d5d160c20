namespace HydrateCache.TestKit;

/// <summary>Polls a condition that becomes true asynchronously (a message crossing a transport), failing after a timeout.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        TrueAsync(condition, () => because, timeout);

    /// <summary>Like <see cref="TrueAsync(Func{bool}, string, TimeSpan?)"/>, describing the failure only when it happens (for example, what is still missing).</summary>
    public static async Task TrueAsync(Func<bool> condition, Func<string> because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not true within {limit}: {because()}");
            }

            await Task.Delay(5);
        }
    }
}
