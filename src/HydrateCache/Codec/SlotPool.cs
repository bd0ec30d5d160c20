namespace HydrateCache;

/// <summary>
/// A few reusable instances of <typeparamref name="T"/> for hot paths (CBOR writers and readers, frame buffers): one
/// slot per processor, at most 16, picked by managed thread id, taken and put back without a lock. A caller that finds
/// its slot empty (another thread holds it) creates an instance of its own; one that fails drops what it took, since
/// its state is unknown, so the pool never hands out a broken instance.
/// </summary>
/// <typeparam name="T">The pooled type.</typeparam>
internal sealed class SlotPool<T>
    where T : class
{
    private readonly T?[] _slots = new T?[Math.Clamp(Environment.ProcessorCount, 1, 16)];

    /// <summary>Takes the instance in the calling thread's slot, if there is one.</summary>
    /// <param name="slot">The slot to give the instance back to.</param>
    /// <returns>The instance, or <see langword="null"/> when the slot is empty.</returns>
    public T? TryTake(out int slot)
    {
        slot = Environment.CurrentManagedThreadId % _slots.Length;
        return Interlocked.Exchange(ref _slots[slot], null);
    }

    /// <summary>Puts an instance (reset by the caller) into <paramref name="slot"/>.</summary>
    /// <param name="slot">The slot <see cref="TryTake"/> gave.</param>
    /// <param name="instance">The instance.</param>
    public void Return(int slot, T instance) => Volatile.Write(ref _slots[slot], instance);
}
