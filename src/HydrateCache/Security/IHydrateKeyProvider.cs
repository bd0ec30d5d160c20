namespace HydrateCache;

/// <summary>
/// Supplies the keys a channel signs and encrypts with: the current key for writing, and any key still accepted for
/// reading, by id. Implement it to take keys from a secret store (and rotate them without a restart); the built-in key
/// ring of <see cref="HydrateSecurityOptions"/> takes them from options.
/// </summary>
/// <remarks>
/// <para>Both methods are called for every frame a channel writes or reads: return quickly (from memory) and never throw.
/// A channel signs (encrypts) when the provider has a current key of that purpose for it when the channel is created.</para>
/// <para><see href="https://github.com/hydratecache/HydrateCache.Orleans#security">DOCS: Security</see></para>
/// </remarks>
public interface IHydrateKeyProvider
{
    /// <summary>Gets the key that <paramref name="channel"/> writes with now.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="purpose">Signing or encryption.</param>
    /// <returns>The current key, or <see langword="null"/> when the channel does not sign (encrypt).</returns>
    HydrateKey? GetCurrentKey(string channel, HydrateKeyPurpose purpose);

    /// <summary>Finds a key that <paramref name="channel"/> accepts when reading: the current one and those still in rotation.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="purpose">Signing or encryption.</param>
    /// <param name="keyId">The key id a received frame names.</param>
    /// <returns>The key, or <see langword="null"/> when no accepted key has that id (the frame is dropped).</returns>
    HydrateKey? FindKey(string channel, HydrateKeyPurpose purpose, string keyId);
}
