using System.Security.Cryptography;

namespace HydrateCache;

/// <summary>
/// The signing and encryption of one channel instance: which keys it writes with, and the checks every frame it reads
/// passes before it is parsed. Created only when the channel has a current signing or encryption key.
/// </summary>
internal sealed class ChannelSecurity
{
    private readonly string _channel;
    private readonly IHydrateKeyProvider _provider;
    private readonly byte[] _dataDomain;
    private readonly byte[] _controlDomain;
    private readonly byte[] _payloadContext;

    private ChannelSecurity(string channel, string topic, string controlTopic, IHydrateKeyProvider provider, bool signs, bool encrypts, bool requireSignature)
    {
        _channel = channel;
        _provider = provider;
        Signs = signs;
        Encrypts = encrypts;
        RequireSignature = signs && requireSignature;
        _dataDomain = FrameSignature.CreateDomain(topic);
        _controlDomain = FrameSignature.CreateDomain(controlTopic);
        _payloadContext = PayloadCipher.CreateContext(topic);
    }

    /// <summary>Gets a value indicating whether the channel signs what it writes and verifies signatures.</summary>
    public bool Signs { get; }

    /// <summary>Gets a value indicating whether the channel encrypts the payloads it writes.</summary>
    public bool Encrypts { get; }

    /// <summary>Gets a value indicating whether unsigned frames are dropped.</summary>
    public bool RequireSignature { get; }

    /// <summary>Creates the security of a channel from its options; <see langword="null"/> when it neither signs nor encrypts.</summary>
    /// <exception cref="ArgumentException">The keys are invalid (the message names ids and lengths, never material).</exception>
    /// <exception cref="PlatformNotSupportedException">Encryption is configured and the platform has no AES-GCM.</exception>
    public static ChannelSecurity? Create(string channel, string topic, string controlTopic, HydrateSecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options, "options.Security");
        var provider = options.GetProvider(channel);
        if (provider is null)
        {
            return null;
        }

        var signing = provider.GetCurrentKey(channel, HydrateKeyPurpose.Signing);
        var encryption = provider.GetCurrentKey(channel, HydrateKeyPurpose.Encryption);
        if (signing is not null && !IsValid(HydrateKeyPurpose.Signing, signing))
        {
            throw new ArgumentException($"Channel '{channel}': signing key {signing} is too short; HMAC-SHA256 keys have at least {FrameSignature.MinKeyLength} bytes.");
        }

        if (encryption is not null && !IsValid(HydrateKeyPurpose.Encryption, encryption))
        {
            throw new ArgumentException($"Channel '{channel}': encryption key {encryption} has an invalid length; AES keys have 16, 24 or 32 bytes.");
        }

        if (options.KeyProvider is null)
        {
            // Every listed key must be usable, not only the current one: the next phase of a rotation makes it current.
            foreach (var key in options.SigningKeys.Where(k => !IsValid(HydrateKeyPurpose.Signing, k)))
            {
                throw new ArgumentException($"Channel '{channel}': signing key {key} is too short; HMAC-SHA256 keys have at least {FrameSignature.MinKeyLength} bytes.");
            }

            foreach (var key in options.EncryptionKeys.Where(k => !IsValid(HydrateKeyPurpose.Encryption, k)))
            {
                throw new ArgumentException($"Channel '{channel}': encryption key {key} has an invalid length; AES keys have 16, 24 or 32 bytes.");
            }
        }

        if (encryption is not null && !AesGcm.IsSupported)
        {
            throw new PlatformNotSupportedException($"Channel '{channel}' encrypts payloads, but AES-GCM is not supported on this platform.");
        }

        return signing is null && encryption is null
            ? null
            : new ChannelSecurity(channel, topic, controlTopic, provider, signing is not null, encryption is not null, options.RequireSignature);
    }

    /// <summary>Gets the key to sign with now, or <see langword="null"/> when the channel does not sign or its provider has none (anymore).</summary>
    public HydrateKey? CurrentSigningKey() => Signs ? Current(HydrateKeyPurpose.Signing) : null;

    /// <summary>Gets the key to encrypt with now, or <see langword="null"/> when the channel does not encrypt or its provider has none (anymore).</summary>
    public HydrateKey? CurrentEncryptionKey() => Encrypts ? Current(HydrateKeyPurpose.Encryption) : null;

    /// <summary>Gets the domain a frame published on the data topic (<paramref name="control"/> false) or the control topic is signed in.</summary>
    public ReadOnlySpan<byte> Domain(bool control) => control ? _controlDomain : _dataDomain;

    /// <summary>
    /// Checks the signature of a received frame before it is parsed: <see langword="null"/> when it may be parsed (it
    /// verifies, or it is unsigned and signatures are not required), otherwise why it is dropped.
    /// </summary>
    public HydrateDropReason? Verify(ReadOnlyMemory<byte> frame, bool control)
    {
        if (!Signs)
        {
            return null;
        }

        switch (FrameSignature.TrySplit(frame, out var signedLength, out var keyId, out var mac))
        {
            case FrameSignatureStatus.NotAFrame:
                return HydrateDropReason.NotAFrame;
            case FrameSignatureStatus.Malformed:
                return HydrateDropReason.Malformed;
            case FrameSignatureStatus.Unsigned:
                return RequireSignature ? HydrateDropReason.Unsigned : null;
        }

        var key = Find(HydrateKeyPurpose.Signing, keyId!);
        if (key is null)
        {
            return HydrateDropReason.UnknownKey;
        }

        return FrameSignature.Verify(key, Domain(control), frame.Span[..signedLength], mac.Span) ? null : HydrateDropReason.BadSignature;
    }

    /// <summary>Encrypts the payload of an upsert; returns the ciphertext and tag, and writes the nonce.</summary>
    public byte[] Encrypt(HydrateKey key, string entryKey, HybridTimestamp version, Guid sender, ReadOnlySpan<byte> plaintext, Span<byte> nonce) =>
        PayloadCipher.Encrypt(key, _payloadContext, entryKey, version, sender, plaintext, nonce);

    /// <summary>Decrypts the payload of a received upsert; <see langword="null"/> with the drop reason when it cannot.</summary>
    public byte[]? Decrypt(in HydrateEnvelope envelope, out HydrateDropReason reason)
    {
        var key = Find(HydrateKeyPurpose.Encryption, envelope.EncryptionKeyId!);
        if (key is null)
        {
            reason = HydrateDropReason.UnknownKey;
            return null;
        }

        var sealedPayload = envelope.Payload.Span;
        if (sealedPayload.Length < PayloadCipher.TagLength)
        {
            reason = HydrateDropReason.PayloadUndecryptable;
            return null;
        }

        var plaintext = new byte[sealedPayload.Length - PayloadCipher.TagLength];
        if (!PayloadCipher.TryDecrypt(key, _payloadContext, envelope.Key, envelope.Version, envelope.SenderId, envelope.EncryptionNonce.Span, sealedPayload, plaintext))
        {
            reason = HydrateDropReason.PayloadUndecryptable;
            return null;
        }

        reason = default;
        return plaintext;
    }

    private HydrateKey? Current(HydrateKeyPurpose purpose)
    {
        var key = _provider.GetCurrentKey(_channel, purpose);
        return key is not null && IsValid(purpose, key) ? key : null;
    }

    private HydrateKey? Find(HydrateKeyPurpose purpose, string keyId)
    {
        var key = _provider.FindKey(_channel, purpose, keyId);
        return key is not null && IsValid(purpose, key) && string.Equals(key.Id, keyId, StringComparison.Ordinal) ? key : null;
    }

    private static bool IsValid(HydrateKeyPurpose purpose, HydrateKey key) =>
        purpose == HydrateKeyPurpose.Signing ? key.Length >= FrameSignature.MinKeyLength : PayloadCipher.IsValidKeyLength(key.Length);
}
