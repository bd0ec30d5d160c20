using System.Diagnostics;
using System.Security.Cryptography;

namespace HydrateCache;

/// <summary>
/// A secret key of a channel: an id, which travels in every frame it signs or encrypts and is not secret, and the key
/// material, which never leaves the process. <see cref="ToString"/>, the debugger and serializers see the id and the
/// length only.
/// </summary>
/// <remarks>
/// <para>Signing keys (HMAC-SHA256) must be at least 32 bytes; encryption keys (AES-GCM) 16, 24 or 32 bytes. Generate them
/// with a cryptographic random number generator, for example <c>RandomNumberGenerator.GetBytes(32)</c>.</para>
/// <para><see href="https://github.com/hydratecache/HydrateCache.Orleans#security">DOCS: Security</see></para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class HydrateKey
{
    /// <summary>The shortest key material accepted for any purpose, in bytes.</summary>
    public const int MinLength = 16;

    /// <summary>The longest key id, in characters.</summary>
    public const int MaxIdLength = HydrateEnvelope.MaxKeyIdLength;

    private readonly byte[] _material;

    // Keyed HMAC-SHA256 and AES-GCM instances, reused across frames: creating one (a native context and key schedule)
    // costs more than the operation on a small frame. Created on first use, so a key only ever used for one purpose
    // holds no instance of the other.
    private SlotPool<IncrementalHash>? _macs;
    private SlotPool<AesGcm>? _ciphers;

    /// <summary>Initializes a new instance of the <see cref="HydrateKey"/> class with a copy of <paramref name="material"/>.</summary>
    /// <param name="id">The key id: 1 to 64 characters, unique among the keys of one purpose of a channel. Not secret.</param>
    /// <param name="material">The secret key bytes: at least 16 (see the remarks for each purpose).</param>
    /// <exception cref="ArgumentException">The id is empty or too long, or the material is shorter than 16 bytes.</exception>
    public HydrateKey(string id, byte[] material)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(material);
        if (id.Length > MaxIdLength)
        {
            throw new ArgumentException($"A key id has at most {MaxIdLength} characters.", nameof(id));
        }

        if (material.Length < MinLength)
        {
            // The message names the length only: never the material.
            throw new ArgumentException($"Key '{id}' has {material.Length} bytes; a key has at least {MinLength}.", nameof(material));
        }

        Id = id;
        _material = (byte[])material.Clone();
    }

    /// <summary>Gets the key id. It is written into every frame the key signs or encrypts; it is not secret.</summary>
    public string Id { get; }

    /// <summary>Gets the length of the key material in bytes.</summary>
    public int Length => _material.Length;

    /// <summary>Gets the key material (a method, not a property, so that serializers never look at it).</summary>
    internal ReadOnlySpan<byte> GetMaterial() => _material;

    /// <summary>Computes HMAC-SHA256 with this key over <paramref name="first"/> followed by <paramref name="second"/>.</summary>
    /// <param name="first">The first part of the message.</param>
    /// <param name="second">The rest of the message.</param>
    /// <param name="destination">Where the 32-byte tag goes.</param>
    internal void ComputeHmacSha256(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        var pool = PoolOf(ref _macs);
        var mac = pool.TryTake(out var slot) ?? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _material);
        try
        {
            mac.AppendData(first);
            mac.AppendData(second);
            mac.GetHashAndReset(destination);
        }
        catch
        {
            // Its state is unknown: it is not put back.
            mac.Dispose();
            throw;
        }

        pool.Return(slot, mac);
    }

    /// <summary>Takes an AES-GCM instance keyed with this key (tags of <paramref name="tagLength"/> bytes); give it back with <see cref="ReturnAesGcm"/>.</summary>
    /// <param name="tagLength">The tag length; every caller of one key uses the same.</param>
    /// <param name="slot">The slot to give it back to.</param>
    /// <returns>An instance only the caller uses until it gives it back.</returns>
    internal AesGcm RentAesGcm(int tagLength, out int slot) =>
        PoolOf(ref _ciphers).TryTake(out slot) ?? new AesGcm(_material, tagLength);

    /// <summary>Gives back an instance from <see cref="RentAesGcm"/> after an operation that completed (a failed tag check included: every operation starts afresh).</summary>
    /// <param name="slot">The slot <see cref="RentAesGcm"/> gave.</param>
    /// <param name="aes">The instance.</param>
    internal void ReturnAesGcm(int slot, AesGcm aes) => PoolOf(ref _ciphers).Return(slot, aes);

    private static SlotPool<T> PoolOf<T>(ref SlotPool<T>? pool)
        where T : class =>
        Volatile.Read(ref pool) ?? Interlocked.CompareExchange(ref pool, new SlotPool<T>(), null) ?? pool!;

    /// <summary>Creates a key from base64 text, as kept in a secret store or configuration.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="base64Material">The key material, base64-encoded.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException"><paramref name="base64Material"/> is not base64 (the message does not repeat it).</exception>
    public static HydrateKey FromBase64(string id, string base64Material)
    {
        ArgumentNullException.ThrowIfNull(base64Material);
        byte[] material;
        try
        {
            material = Convert.FromBase64String(base64Material);
        }
        catch (FormatException)
        {
            throw new FormatException($"The material of key '{id}' is not valid base64.");
        }

        try
        {
            return new HydrateKey(id, material);
        }
        finally
        {
            Array.Clear(material);
        }
    }

    /// <summary>Returns the key id and length; never the material.</summary>
    /// <returns>For example <c>"k2 (32 bytes)"</c>.</returns>
    public override string ToString() => $"{Id} ({Length} bytes)";
}
